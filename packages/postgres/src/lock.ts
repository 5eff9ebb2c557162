import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Pool, PoolClient } from 'pg'
import { InvalidOptionError, KeydiffError, LockHeldError, type Lock, type LockInfo, type LockLease } from '@keydiff/core'
import { createLockInfo } from '@keydiff/core/adapter'
import { checkout, type Checkout } from './checkout.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { qualified } from './identifiers.ts'

export interface PostgresLockOptions {
  pool: Pool
  /** What is locked, e.g. `s3://bucket/prefix`; the advisory lock key is derived from it. */
  target: string
  /** Table that records who holds each lock (created when missing). @default 'keydiff_locks' */
  table?: string
  /** @default the search path's first schema */
  schema?: string
  /** How long `force` waits for the displaced session to end, in ms. @default 10000 */
  takeoverTimeout?: number
}

/**
 * One sweep per target, through `pg_try_advisory_lock` on a session of its own: the lock
 * lives as long as that session, so a crashed holder frees it. Who holds it is recorded in a
 * table; `force` terminates the holder's session (`pg_terminate_backend`, which needs the
 * same role, `pg_signal_backend` or superuser) and takes over.
 */
export function postgresLock (options: PostgresLockOptions): Lock {
  if (options === null || typeof options !== 'object' || typeof options.pool?.connect !== 'function') throw new TypeError('postgresLock: options.pool must be a pg Pool')
  if (typeof options.target !== 'string' || options.target === '') throw new InvalidOptionError('target', 'must be a non-empty string naming what is locked')
  const { pool, target } = options
  const table = qualified(options.table ?? 'keydiff_locks', options.schema)
  const endpoint = endpointOf(pool)
  const where = `${endpoint} lock ${target}`
  const [classId, objId] = advisoryKey(target)

  const holder = async (client: PoolClient): Promise<LockInfo | undefined> => {
    const result = await client.query<{ owner: string, host: string, pid: number, started_at: string }>(`SELECT owner, host, pid, started_at FROM ${table} WHERE target = $1`, [target])
    const row = result.rows[0]
    return row === undefined ? undefined : { target, owner: row.owner, host: row.host, pid: row.pid, startedAt: row.started_at }
  }

  const tryLock = async (client: PoolClient): Promise<boolean> => {
    const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [classId, objId])
    return result.rows[0]?.ok === true
  }

  return {
    target,
    async acquire (acquireOptions = {}): Promise<LockLease> {
      const held: Checkout = await checkout(pool, where, endpoint)
      const { client } = held
      try {
        await ensureTable(client, table)
        let takenOver: LockInfo | undefined
        if (!(await tryLock(client))) {
          const previous = await holder(client)
          if (acquireOptions.force !== true) throw new LockHeldError(where, previous)
          await client.query(`SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND granted AND pid <> pg_backend_pid()`, [classId, objId])
          const deadline = Date.now() + (options.takeoverTimeout ?? 10_000)
          while (!(await tryLock(client))) {
            if (Date.now() > deadline) throw new LockHeldError(where, previous)
            await sleep(50)
          }
          takenOver = previous
        }
        const info = createLockInfo(target, acquireOptions.owner)
        await client.query(`INSERT INTO ${table} (target, owner, host, pid, started_at, backend_pid) VALUES ($1, $2, $3, $4, $5, pg_backend_pid())
          ON CONFLICT (target) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, backend_pid = EXCLUDED.backend_pid`,
        [target, info.owner, info.host, info.pid, info.startedAt])
        let released = false
        return {
          info,
          takenOver,
          async release () {
            if (released) return
            released = true
            // A displaced lease's session is gone, and with it the lock: nothing to undo.
            try {
              await client.query(`DELETE FROM ${table} WHERE target = $1 AND backend_pid = pg_backend_pid() AND started_at = $2`, [target, info.startedAt])
              await client.query('SELECT pg_advisory_unlock($1, $2)', [classId, objId])
              held.release()
            } catch {
              held.release(true)
            }
          }
        }
      } catch (error) {
        held.release(true)
        if (error instanceof KeydiffError) throw error
        throw postgresError(where, endpoint, error, 'table')
      }
    }
  }
}

async function ensureTable (client: PoolClient, table: string): Promise<void> {
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (target text PRIMARY KEY, owner text NOT NULL, host text NOT NULL, pid integer NOT NULL, started_at text NOT NULL, backend_pid integer NOT NULL)`)
  } catch (error) {
    // Two first-time acquirers can race on CREATE TABLE IF NOT EXISTS; the loser sees a duplicate.
    if ((error as { code?: string }).code !== '23505' && (error as { code?: string }).code !== '42P07') throw error
  }
}

/** Two non-negative int4 from a hash of the target: the two-key advisory lock space. */
export function advisoryKey (target: string): [number, number] {
  const digest = createHash('sha256').update(`keydiff:${target}`).digest()
  return [digest.readUInt32BE(0) & 0x7fffffff, digest.readUInt32BE(4) & 0x7fffffff]
}
