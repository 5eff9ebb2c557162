import type { Pool } from 'pg'
import { clientOption } from '@keydiff/sql-kit'

/**
 * The user's pg Pool, named `client` as in every keydiff adapter; `pool`, its old name, is
 * accepted for one release. Each scan or look-up checks out a client of it and returns it.
 */
export type PostgresClientOption =
  | { client: Pool, pool?: undefined }
  | {
    client?: undefined
    /** @deprecated Renamed `client`, as in every adapter; `pool` goes in the next release. */
    pool: Pool
  }

/** The pool of a factory's options: a TypeError when missing, an InvalidOptionError when not a pg Pool. */
export function poolOf (options: PostgresClientOption, factory: string): Pool {
  return clientOption<Pool>(options, caller(factory), pool => typeof pool?.connect === 'function' && typeof pool.query === 'function', 'a pg Pool')
}

export function caller (factory: string): { adapter: string, factory: string } {
  return { adapter: '@keydiff/postgres', factory }
}
