import type { Pool as CorePool, PoolConnection } from 'mysql2'
import type { Pool as PromisePool } from 'mysql2/promise'
import { mysqlError } from './errors.ts'

/** A mysql2 pool as users configure it: callback (`mysql2`) or promise (`mysql2/promise`). */
export type MysqlPool = CorePool | PromisePool

export function corePool (pool: MysqlPool, caller: string): CorePool {
  const inner = (pool as { pool?: unknown }).pool
  const core = (typeof inner === 'object' && inner !== null ? inner : pool) as CorePool
  if (typeof core?.getConnection !== 'function') throw new TypeError(`${caller}: options.pool must be a mysql2 pool`)
  return core
}

/** `mysql://user@host:port/db` for the pool's settings: what errors name, without the password. */
export function endpointOf (pool: CorePool): string {
  const config = (pool as unknown as { config?: { connectionConfig?: Record<string, unknown> } }).config?.connectionConfig ?? {}
  const user = typeof config.user === 'string' && config.user !== '' ? `${config.user}@` : ''
  const where = typeof config.socketPath === 'string' ? config.socketPath : `${String(config.host ?? 'localhost')}:${String(config.port ?? 3306)}`
  return `mysql://${user}${where}/${String(config.database ?? '')}`
}

export interface Checkout {
  connection: PoolConnection
  /** Rejects when the session dies mid-use (killed, lost socket). */
  lost: Promise<never>
  release: (destroy?: boolean) => void
}

/** A connection of the user's pool, with an error listener while we hold it (an unheard 'error' would crash the process). */
export async function checkout (pool: CorePool, where: string, endpoint: string): Promise<Checkout> {
  const connection = await new Promise<PoolConnection>((resolve, reject) => {
    pool.getConnection((error, conn) => { if (error !== null) reject(mysqlError(where, endpoint, error, undefined, true)); else resolve(conn) })
  })
  let fail: (error: Error) => void = () => {}
  const lost = new Promise<never>((_resolve, reject) => { fail = reject })
  lost.catch(() => {})
  const onError = (error: Error): void => { fail(error) }
  connection.on('error', onError)
  let released = false
  return {
    connection,
    lost,
    release (destroy = false) {
      if (released) return
      released = true
      connection.off('error', onError)
      if (destroy) connection.destroy()
      else connection.release()
    }
  }
}

/** One statement on a held connection, as a promise. */
export async function run<T = unknown> (connection: PoolConnection, sql: string, values: readonly unknown[] = []): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    connection.query(sql, values as unknown[], (error, result) => { if (error !== null) reject(error); else resolve(result as T) })
  })
}

export function quoteIdent (name: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError('an SQL identifier must be a non-empty string')
  return `\`${name.replaceAll('`', '``')}\``
}

export function qualified (table: string, database?: string): string {
  return database === undefined ? quoteIdent(table) : `${quoteIdent(database)}.${quoteIdent(table)}`
}
