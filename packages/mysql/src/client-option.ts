import type { Pool as CorePool } from 'mysql2'
import { clientOption } from '@keydiff/sql-kit'
import { corePool, type MysqlPool } from './pool.ts'

/**
 * The user's mysql2 pool (`mysql2` or `mysql2/promise`), named `client` as in every keydiff
 * adapter; `pool`, its old name, is accepted for one release.
 */
export type MysqlClientOption =
  | { client: MysqlPool, pool?: undefined }
  | {
    client?: undefined
    /** @deprecated Renamed `client`, as in every adapter; `pool` goes in the next release. */
    pool: MysqlPool
  }

/** The callback pool under the user's: a TypeError when missing, an InvalidOptionError when not a mysql2 pool. */
export function poolOf (options: MysqlClientOption, factory: string): CorePool {
  return corePool(clientOption<MysqlPool>(options, caller(factory), isPool, 'a mysql2 pool'), factory)
}

export function caller (factory: string): { adapter: string, factory: string } {
  return { adapter: '@keydiff/mysql', factory }
}

function isPool (pool: MysqlPool): boolean {
  const inner = (pool as { pool?: unknown }).pool
  return typeof ((typeof inner === 'object' && inner !== null ? inner : pool) as CorePool)?.getConnection === 'function'
}
