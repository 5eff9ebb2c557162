import { ConnectionError, InvalidOptionError, KeydiffError, SourceError, type KeydiffErrorOptions } from '@keydiff/core'

/** The server could not be reached or refused the credentials; names the endpoint, never the password. */
export class MysqlConnectionError extends ConnectionError {
  readonly endpoint: string

  constructor (endpoint: string, message: string, options: KeydiffErrorOptions = {}) {
    super(message, { ...options, adapter: 'mysql', target: endpoint })
    this.name = 'MysqlConnectionError'
    this.endpoint = endpoint
  }
}

interface MysqlErrorLike { code?: string, errno?: number, message?: string, fatal?: boolean }

// Refusals before any reading: access denied, unknown database, host blocked, and socket errors.
const CONNECTION_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR', 'ER_HOST_IS_BLOCKED', 'ER_HOST_NOT_PRIVILEGED',
  'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'])
// The SQL names something that does not exist, or does not parse.
const QUERY_CODES = new Set(['ER_BAD_FIELD_ERROR', 'ER_NO_SUCH_TABLE', 'ER_PARSE_ERROR', 'ER_BAD_TABLE_ERROR', 'ER_NON_UNIQ_ERROR', 'ER_WRONG_ARGUMENTS'])

/** Turns whatever mysql2 threw into an error that names what failed and where. */
export function mysqlError (where: string, endpoint: string, error: unknown, option?: string, connecting = false): KeydiffError {
  if (error instanceof KeydiffError) return error
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as MysqlErrorLike
  const text = `${message ?? String(error)}${typeof code === 'string' ? ` (${code})` : ''}`
  if (typeof code === 'string' && (CONNECTION_CODES.has(code) || (connecting && code.startsWith('PROTOCOL_')))) return new MysqlConnectionError(endpoint, text, { cause: error })
  if (option !== undefined && typeof code === 'string' && QUERY_CODES.has(code)) return new InvalidOptionError(option, `${where}: ${text}`, { cause: error })
  return new SourceError(where, text, { cause: error })
}
