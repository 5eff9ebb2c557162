import { createHash } from 'node:crypto'
import type { PoolClient } from 'pg'
import { InvalidOptionError, type Lock, type LockInfo } from '@keydiff/core'
import { sessionLock } from '@keydiff/core/adapter'
import { checkout } from './checkout.ts'
import { poolOf, type PostgresClientOption } from './client-option.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { qualified } from './identifiers.ts'

export type PostgresLockOptions = PostgresClientOption & {
  /** What is locked, e.g. `s3://bucket/prefix`; the advisory lock key is derived from it. */
  target: string
  /** Table that records who holds each lock (created when missing). @default 'keydiff_locks' */
  table?: string
  /** @default the search path's first schema */
  schema?: string
  /** How long a take-over waits for the displaced session to end, in ms. @default 10000 */
  takeoverTimeout?: number
}

/**
 * One sweep per target, through `pg_try_advisory_lock` on a session of its own: the lock
 * lives as long as that session, so a crashed holder frees it at once. Who holds it, and
 * until when its lease runs, is recorded in a table. The lease (`ttl`) covers what the
 * session cannot tell, a holder that hangs with its connection open: renewing moves the
 * row's `expires_at` every ttl/3 (which also keeps the session from idling out), and a lock
 * whose lease ran out is taken without `force`. Taking over, by `force` or expiry, terminates
 * the holder's session (`pg_terminate_backend`, which needs the same role, `pg_signal_backend`
 * or superuser). See core's `sessionLock`.
 */
export function postgresLock (options: PostgresLockOptions): Lock {
  const pool = poolOf(options, 'postgresLock')
  if (typeof options.target !== 'string' || options.target === '') throw new InvalidOptionError('target', 'must be a non-empty string naming what is locked')
  const { target } = options
  const table = qualified(options.table ?? 'keydiff_locks', options.schema)
  const endpoint = endpointOf(pool)
  const where = `${endpoint} lock ${target}`
  const [classId, objId] = advisoryKey(target)
  let tableReady = false

  return sessionLock({
    target,
    where,
    adapter: 'postgres',
    takeoverTimeout: options.takeoverTimeout,
    describe: error => postgresError(where, endpoint, error, 'table'),
    open: async () => {
      const held = await checkout(pool, where, endpoint)
      const { client } = held
      try {
        if (!tableReady) await ensureTable(client, table)
        tableReady = true
      } catch (error) {
        held.release(true)
        throw error
      }
      const tryLock = async (): Promise<boolean> => (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS ok', [classId, objId])).rows[0]?.ok === true
      return {
        tryLock,
        holder: async () => {
          const result = await client.query<{ owner: string, host: string, pid: number, started_at: string, expires_at: string | null }>(`SELECT owner, host, pid, started_at, expires_at FROM ${table} WHERE target = $1`, [target])
          const row = result.rows[0]
          if (row === undefined) return undefined
          const info: LockInfo = { target, owner: row.owner, host: row.host, pid: row.pid, startedAt: row.started_at }
          return row.expires_at === null ? info : { ...info, expiresAt: row.expires_at }
        },
        endHolder: async () => {
          await client.query(`SELECT pg_terminate_backend(pid) FROM pg_locks
            WHERE locktype = 'advisory' AND classid = $1::int::oid AND objid = $2::int::oid AND objsubid = 2 AND granted AND pid <> pg_backend_pid()`, [classId, objId])
        },
        record: async info => {
          await client.query(`INSERT INTO ${table} (target, owner, host, pid, started_at, expires_at, backend_pid) VALUES ($1, $2, $3, $4, $5, $6, pg_backend_pid())
            ON CONFLICT (target) DO UPDATE SET owner = EXCLUDED.owner, host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, expires_at = EXCLUDED.expires_at, backend_pid = EXCLUDED.backend_pid`,
          [target, info.owner, info.host, info.pid, info.startedAt, info.expiresAt ?? null])
        },
        extend: async (info, expiresAt) => {
          const result = await Promise.race([held.lost, client.query(`UPDATE ${table} SET expires_at = $3 WHERE target = $1 AND backend_pid = pg_backend_pid() AND started_at = $2`, [target, info.startedAt, expiresAt])])
          return result.rowCount === 1
        },
        unlock: async info => {
          await client.query(`DELETE FROM ${table} WHERE target = $1 AND backend_pid = pg_backend_pid() AND started_at = $2`, [target, info.startedAt])
          await client.query('SELECT pg_advisory_unlock($1, $2)', [classId, objId])
        },
        close: broken => { held.release(broken) }
      }
    }
  })
}

async function ensureTable (client: PoolClient, table: string): Promise<void> {
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS ${table} (target text PRIMARY KEY, owner text NOT NULL, host text NOT NULL, pid integer NOT NULL, started_at text NOT NULL, expires_at text, backend_pid integer NOT NULL)`)
    // A table made before leases lacks the column.
    await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS expires_at text`)
  } catch (error) {
    // Two first-time acquirers can race on CREATE TABLE or ADD COLUMN IF NOT EXISTS; the loser sees a duplicate.
    const code = (error as { code?: string }).code
    if (code !== '23505' && code !== '42P07' && code !== '42701') throw error
  }
}

/** Two non-negative int4 from a hash of the target: the two-key advisory lock space. */
export function advisoryKey (target: string): [number, number] {
  const digest = createHash('sha256').update(`keydiff:${target}`).digest()
  return [digest.readUInt32BE(0) & 0x7fffffff, digest.readUInt32BE(4) & 0x7fffffff]
}
