import { createHash } from 'node:crypto'
import type { PoolConnection } from 'mysql2'
import { InvalidOptionError, type Lock, type LockInfo } from '@keydiff/core'
import { sessionLock } from '@keydiff/core/adapter'
import { mysqlError } from './errors.ts'
import { poolOf, type MysqlClientOption } from './client-option.ts'
import { checkout, endpointOf, qualified, run } from './pool.ts'

export type MysqlLockOptions = MysqlClientOption & {
  /** What is locked, e.g. `s3://bucket/prefix`; the lock name is derived from it. */
  target: string
  /** Table that records who holds each lock (created when missing). @default 'keydiff_locks' */
  table?: string
  /** @default the pool's database */
  database?: string
  /** How long a take-over waits for the displaced session to end, in ms. @default 10000 */
  takeoverTimeout?: number
}

/**
 * One sweep per target, through `GET_LOCK` on a connection of its own: the lock lives as long
 * as that session, so a crashed holder frees it at once. Who holds it, and until when its
 * lease runs, is recorded in a table. The lease (`ttl`) covers what the session cannot tell,
 * a holder that hangs with its connection open: renewing moves the row's `expires_at` every
 * ttl/3 (which also keeps the connection from reaching `wait_timeout`), and a lock whose lease
 * ran out is taken without `force`. Taking over, by `force` or expiry, ends the holder's
 * session (`KILL CONNECTION`, which needs the same user or CONNECTION ADMIN / SUPER). See
 * core's `sessionLock`.
 */
export function mysqlLock (options: MysqlLockOptions): Lock {
  const pool = poolOf(options, 'mysqlLock')
  if (typeof options.target !== 'string' || options.target === '') throw new InvalidOptionError('target', 'must be a non-empty string naming what is locked')
  const { target } = options
  const table = qualified(options.table ?? 'keydiff_locks', options.database)
  const endpoint = endpointOf(pool)
  const where = `${endpoint} lock ${target}`
  const lockName = lockNameOf(target)
  let tableReady = false

  return sessionLock({
    target,
    where,
    adapter: 'mysql',
    takeoverTimeout: options.takeoverTimeout,
    describe: error => mysqlError(where, endpoint, error, 'table'),
    open: async () => {
      const held = await checkout(pool, where, endpoint)
      const { connection } = held
      try {
        if (!tableReady) await ensureTable(connection, table)
        tableReady = true
      } catch (error) {
        held.release(true)
        throw error
      }
      const query = async <T>(sql: string, values: readonly unknown[] = []): Promise<T> => await Promise.race([held.lost, run<T>(connection, sql, values)])
      return {
        tryLock: async () => (await query<Array<{ ok: number | null }>>('SELECT GET_LOCK(?, 0) AS ok', [lockName]))[0]?.ok === 1,
        holder: async () => {
          const rows = await query<Array<{ owner: string, host: string, pid: number, started_at: string, expires_at: string | null }>>(`SELECT owner, host, pid, started_at, expires_at FROM ${table} WHERE name = ?`, [lockName])
          const row = rows[0]
          if (row === undefined) return undefined
          const info: LockInfo = { target, owner: row.owner, host: row.host, pid: row.pid, startedAt: row.started_at }
          return row.expires_at === null ? info : { ...info, expiresAt: row.expires_at }
        },
        endHolder: async () => {
          const users = await query<Array<{ id: number | null }>>('SELECT IS_USED_LOCK(?) AS id', [lockName])
          const id = users[0]?.id
          if (typeof id === 'number' && id !== connection.threadId) await query(`KILL CONNECTION ${id}`).catch(() => {})
        },
        record: async info => {
          await query(`REPLACE INTO ${table} (name, target, owner, host, pid, started_at, expires_at, connection_id) VALUES (?, ?, ?, ?, ?, ?, ?, CONNECTION_ID())`,
            [lockName, target, info.owner, info.host, info.pid, info.startedAt, info.expiresAt ?? null])
        },
        extend: async (info, expiresAt) => {
          const result = await query<{ affectedRows: number }>(`UPDATE ${table} SET expires_at = ? WHERE name = ? AND connection_id = CONNECTION_ID() AND started_at = ?`, [expiresAt, lockName, info.startedAt])
          // MySQL counts a row whose value did not change as unaffected; the expiry always moves.
          return result.affectedRows === 1
        },
        unlock: async info => {
          await query(`DELETE FROM ${table} WHERE name = ? AND connection_id = CONNECTION_ID() AND started_at = ?`, [lockName, info.startedAt])
          await query('SELECT RELEASE_LOCK(?)', [lockName])
        },
        close: broken => { held.release(broken) }
      }
    }
  })
}

async function ensureTable (connection: PoolConnection, table: string): Promise<void> {
  await run(connection, `CREATE TABLE IF NOT EXISTS ${table} (name VARCHAR(64) PRIMARY KEY, target TEXT NOT NULL, owner TEXT NOT NULL, host TEXT NOT NULL, pid INT NOT NULL, started_at VARCHAR(40) NOT NULL, expires_at VARCHAR(40) NULL, connection_id BIGINT NOT NULL)`)
  try {
    // A table made before leases lacks the column (MySQL has no ADD COLUMN IF NOT EXISTS).
    await run(connection, `ALTER TABLE ${table} ADD COLUMN expires_at VARCHAR(40) NULL`)
  } catch (error) {
    if ((error as { errno?: number }).errno !== 1060) throw error
  }
}

/** `keydiff:` and a hash of the target: GET_LOCK names are limited to 64 characters. */
export function lockNameOf (target: string): string {
  return `keydiff:${createHash('sha256').update(target).digest('hex').slice(0, 56)}`
}
