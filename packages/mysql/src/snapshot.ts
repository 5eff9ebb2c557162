import type { Pool as CorePool } from 'mysql2'
import { mysqlError } from './errors.ts'
import { checkout, corePool, endpointOf, run, type Checkout, type MysqlPool } from './pool.ts'

/**
 * One consistent view that several reference queries share. MySQL cannot hand a snapshot to
 * another session, so the sources that use it read one after another on its connection.
 */
export interface MysqlSnapshot {
  /** The server time just before the snapshot was taken: a safe fence. */
  readonly startedAt: Date
  release: () => Promise<void>
}

export interface SnapshotSession {
  held: Checkout
  busy: boolean
  broken: boolean
}

export const sessions = new WeakMap<MysqlSnapshot, SnapshotSession>()

/** The server's clock, read as epoch seconds so the session time zone cannot shift it. */
export async function serverTime (held: Checkout): Promise<Date> {
  const rows = await run<Array<{ t: string | number }>>(held.connection, 'SELECT UNIX_TIMESTAMP(NOW(6)) AS t')
  return new Date(Math.floor(Number(rows[0]?.t) * 1000))
}

/** `START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY` under REPEATABLE READ, the only level where it means a snapshot. */
export async function beginSnapshot (held: Checkout): Promise<Date> {
  const startedAt = await serverTime(held)
  await run(held.connection, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
  await run(held.connection, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY')
  return startedAt
}

/** Opens a snapshot on a connection of `pool`, held until `release()`. */
export async function mysqlSnapshot (pool: MysqlPool): Promise<MysqlSnapshot> {
  const core: CorePool = corePool(pool, 'mysqlSnapshot')
  const endpoint = endpointOf(core)
  const held = await checkout(core, `${endpoint} snapshot`, endpoint)
  let startedAt: Date
  try {
    startedAt = await beginSnapshot(held)
  } catch (error) {
    held.release(true)
    throw mysqlError(`${endpoint} snapshot`, endpoint, error)
  }
  const session: SnapshotSession = { held, busy: false, broken: false }
  const snapshot: MysqlSnapshot = {
    startedAt,
    async release () {
      try {
        if (session.broken) throw new Error('left mid-query')
        await run(held.connection, 'COMMIT')
        held.release()
      } catch {
        held.release(true)
      }
    }
  }
  sessions.set(snapshot, session)
  return snapshot
}
