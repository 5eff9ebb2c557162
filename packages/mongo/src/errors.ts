import { asSourceError, ConnectionError, KeydiffError, type KeydiffErrorOptions } from '@keydiff/core'
import type { MongoClient } from 'mongodb'

/** No server of the client could be reached, or one stopped answering; names the hosts, never the credentials. */
export class MongoConnectionError extends ConnectionError {
  /** `mongodb://host:port,.../` of the client. */
  readonly endpoint: string

  constructor (endpoint: string, message: string, options: KeydiffErrorOptions = {}) {
    super(message, { ...options, adapter: 'mongo', target: endpoint })
    this.name = 'MongoConnectionError'
    this.endpoint = endpoint
  }
}

// The driver's names for "no server to talk to": server selection gave up (the client's
// serverSelectionTimeoutMS), a server stopped answering (connectTimeoutMS, socketTimeoutMS),
// the client is not connected. A connection that breaks mid-scan (MongoNetworkError) is the
// source failing, as in the SQL adapters.
const CONNECTION_ERRORS = new Set(['MongoServerSelectionError', 'MongoNetworkTimeoutError', 'MongoTopologyClosedError', 'MongoNotConnectedError'])

/** `mongodb://host:port,.../` from the client's parsed options: hosts only. */
export function endpointOf (client: MongoClient): string {
  const options = (client as { options?: { hosts?: unknown[], srvHost?: string } }).options
  const hosts = options?.srvHost !== undefined ? `mongodb+srv://${options.srvHost}` : `mongodb://${(options?.hosts ?? []).map(String).join(',')}`
  return `${hosts}/`
}

/**
 * Whatever the driver threw while `source` used `client`: a connection failure (the client's
 * timeouts expired) as a MongoConnectionError naming the hosts, anything else as a source error.
 */
export function mongoError (source: string, client: MongoClient, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const name = (error as { name?: unknown } | undefined)?.name
  if (typeof name === 'string' && CONNECTION_ERRORS.has(name)) return new MongoConnectionError(endpointOf(client), `${source}: ${(error as Error).message}`, { cause: error })
  return asSourceError(source, error)
}
