import { ConnectionError, InvalidOptionError, KeydiffError, SourceError, type KeydiffErrorOptions } from '@keydiff/core'

/** The server could not be reached or refused the credentials; names the endpoint, never the password. */
export class PostgresConnectionError extends ConnectionError {
  readonly endpoint: string

  constructor (endpoint: string, message: string, options: KeydiffErrorOptions = {}) {
    super(message, { ...options, adapter: 'postgres', target: endpoint })
    this.name = 'PostgresConnectionError'
    this.endpoint = endpoint
  }
}

interface PgErrorLike { code?: string, message?: string }

// SQLSTATE classes 08 (connection), 28 (authorization) and 3D (no such database) are the
// server refusing us before any reading; ECONNREFUSED & co come from the socket.
const CONNECTION_CODES = /^(08|28|3D)/
const SOCKET_CODES = /^E[A-Z]+$/
// What pg says, without a code, when its connectionTimeoutMillis or query_timeout expires.
const TIMEOUT_MESSAGES = /connection timeout|timeout exceeded when trying to connect|timeout expired|Query read timeout/i

/**
 * Turns whatever pg threw into an error that names what failed and where. `reading`: the
 * session was up and streaming rows, so a socket error (EPIPE, ECONNRESET: a backend
 * terminated mid-scan) is the source failing, not the server being unreachable.
 */
export function postgresError (where: string, endpoint: string, error: unknown, option?: string, reading = false): KeydiffError {
  if (error instanceof KeydiffError) return error
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as PgErrorLike
  const text = message ?? String(error)
  if (typeof code === 'string' && (CONNECTION_CODES.test(code) || (!reading && SOCKET_CODES.test(code)))) return new PostgresConnectionError(endpoint, `${text} (${code})`, { cause: error })
  if (code === undefined && TIMEOUT_MESSAGES.test(text)) return new PostgresConnectionError(endpoint, `${text}: the server did not answer in time (pg's connectionTimeoutMillis or query_timeout)`, { cause: error })
  // 42xxx: the SQL names a column/table that does not exist, or does not parse.
  if (option !== undefined && typeof code === 'string' && code.startsWith('42')) {
    return new InvalidOptionError(option, `${where}: ${text} (${code})`, { cause: error })
  }
  return new SourceError(where, `${text}${typeof code === 'string' ? ` (${code})` : ''}`, { cause: error })
}
