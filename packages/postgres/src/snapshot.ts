import type { Pool } from 'pg'
import { checkout, type Checkout } from './checkout.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'

/**
 * One consistent view of the database that several reference queries share: an open
 * `REPEATABLE READ READ ONLY` transaction whose snapshot the queries import, so a row
 * committed during the run is seen by none of them.
 */
export interface PostgresSnapshot {
  /** The exported snapshot id, for `SET TRANSACTION SNAPSHOT`. */
  readonly id: string
  /** The transaction's start on the server clock: no later than the snapshot, so a safe fence. */
  readonly startedAt: Date
  /** Ends the exporting transaction; queries that imported it must have started by then. */
  release: () => Promise<void>
}

/** Opens a snapshot on a client of `pool`, held until `release()`. */
export async function postgresSnapshot (pool: Pool): Promise<PostgresSnapshot> {
  const endpoint = endpointOf(pool)
  const held: Checkout = await checkout(pool, `${endpoint} snapshot`, endpoint)
  try {
    await held.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const result = await held.client.query<{ id: string, started: Date }>('SELECT pg_export_snapshot() AS id, now() AS started')
    const row = result.rows[0] as { id: string, started: Date }
    return {
      id: row.id,
      startedAt: row.started,
      async release () {
        try {
          await held.client.query('COMMIT')
          held.release()
        } catch {
          held.release(true)
        }
      }
    }
  } catch (error) {
    held.release(true)
    throw postgresError(`${endpoint} snapshot`, endpoint, error)
  }
}
