import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { PoolConnection } from 'mysql2'
import { InvalidOptionError, KeydiffError, LockHeldError, type Lock, type LockInfo, type LockLease } from '@keydiff/core'
import { createLockInfo } from '@keydiff/core/adapter'
import { mysqlError } from './errors.ts'
import { checkout, corePool, endpointOf, qualified, run, type MysqlPool } from './pool.ts'

export interface MysqlLockOptions {
  pool: MysqlPool
  /** What is locked, e.g. `s3://bucket/prefix`; the lock name is derived from it. */
  target: string
  /** Table that records who holds each lock (created when missing). @default 'keydiff_locks' */
  table?: string
  /** @default the pool's database */
  database?: string
  /** How long `force` waits for the displaced session to end, in ms. @default 10000 */
  takeoverTimeout?: number
}

/**
 * One sweep per target, through `GET_LOCK` on a connection of its own: the lock lives as long
 * as that session. Who holds it is recorded in a table; `force` ends the holder's session
 * (`KILL CONNECTION`, which needs the same user or CONNECTION ADMIN / SUPER) and takes over.
 */
export function mysqlLock (options: MysqlLockOptions): Lock {
  const pool = corePool(options.pool, 'mysqlLock')
  if (typeof options.target !== 'string' || options.target === '') throw new InvalidOptionError('target', 'must be a non-empty string naming what is locked')
  const { target } = options
  const table = qualified(options.table ?? 'keydiff_locks', options.database)
  const endpoint = endpointOf(pool)
  const where = `${endpoint} lock ${target}`
  const lockName = lockNameOf(target)

  const holder = async (connection: PoolConnection): Promise<LockInfo | undefined> => {
    const rows = await run<Array<{ owner: string, host: string, pid: number, started_at: string }>>(connection, `SELECT owner, host, pid, started_at FROM ${table} WHERE name = ?`, [lockName])
    const row = rows[0]
    return row === undefined ? undefined : { target, owner: row.owner, host: row.host, pid: row.pid, startedAt: row.started_at }
  }
  const tryLock = async (connection: PoolConnection): Promise<boolean> => {
    const rows = await run<Array<{ ok: number | null }>>(connection, 'SELECT GET_LOCK(?, 0) AS ok', [lockName])
    return rows[0]?.ok === 1
  }

  return {
    target,
    async acquire (acquireOptions = {}): Promise<LockLease> {
      const held = await checkout(pool, where, endpoint)
      const { connection } = held
      try {
        await run(connection, `CREATE TABLE IF NOT EXISTS ${table} (name VARCHAR(64) PRIMARY KEY, target TEXT NOT NULL, owner TEXT NOT NULL, host TEXT NOT NULL, pid INT NOT NULL, started_at VARCHAR(40) NOT NULL, connection_id BIGINT NOT NULL)`)
        let takenOver: LockInfo | undefined
        if (!(await tryLock(connection))) {
          const previous = await holder(connection)
          if (acquireOptions.force !== true) throw new LockHeldError(where, previous)
          const users = await run<Array<{ id: number | null }>>(connection, 'SELECT IS_USED_LOCK(?) AS id', [lockName])
          const id = users[0]?.id
          if (typeof id === 'number' && id !== connection.threadId) await run(connection, `KILL CONNECTION ${id}`).catch(() => {})
          const deadline = Date.now() + (options.takeoverTimeout ?? 10_000)
          while (!(await tryLock(connection))) {
            if (Date.now() > deadline) throw new LockHeldError(where, previous)
            await sleep(50)
          }
          takenOver = previous
        }
        const info = createLockInfo(target, acquireOptions.owner)
        await run(connection, `REPLACE INTO ${table} (name, target, owner, host, pid, started_at, connection_id) VALUES (?, ?, ?, ?, ?, ?, CONNECTION_ID())`,
          [lockName, target, info.owner, info.host, info.pid, info.startedAt])
        let released = false
        return {
          info,
          takenOver,
          async release () {
            if (released) return
            released = true
            // A displaced lease's session is gone, and with it the lock: nothing to undo.
            try {
              await run(connection, `DELETE FROM ${table} WHERE name = ? AND connection_id = CONNECTION_ID() AND started_at = ?`, [lockName, info.startedAt])
              await run(connection, 'SELECT RELEASE_LOCK(?)', [lockName])
              held.release()
            } catch {
              held.release(true)
            }
          }
        }
      } catch (error) {
        held.release(true)
        if (error instanceof KeydiffError) throw error
        throw mysqlError(where, endpoint, error, 'table')
      }
    }
  }
}

/** `keydiff:` and a hash of the target: GET_LOCK names are limited to 64 characters. */
export function lockNameOf (target: string): string {
  return `keydiff:${createHash('sha256').update(target).digest('hex').slice(0, 56)}`
}
