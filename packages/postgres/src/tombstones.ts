import type { Pool } from 'pg'
import { InvalidOptionError, KeydiffError } from '@keydiff/core'
import { endpointOf } from './endpoint.ts'
import { qualified } from './identifiers.ts'

/** One action of a sweep on one key, as billing and audits need it. */
export interface TombstoneRecord {
  readonly key: string
  readonly size?: number | undefined
  /** The sink's action: `delete`, `quarantine`, `tag`, ... */
  readonly action: string
  readonly ok: boolean
  readonly error?: string | undefined
  /** @default now */
  readonly at?: Date | undefined
}

export interface TombstoneWriter {
  readonly name: string
  write: (records: readonly TombstoneRecord[]) => Promise<void>
}

export interface PostgresTombstonesOptions {
  pool: Pool
  /** @default 'keydiff_tombstones' */
  table?: string
  /** @default the search path's first schema */
  schema?: string
  /** Recorded with every row, to reconcile one run. */
  runId: string
  /** Create the table when it is missing. @default true */
  create?: boolean
}

/**
 * Writes a sweep's audit records to a table (run_id, key, size, action, outcome, error, at),
 * one INSERT per batch, so billing can be reconciled for what was removed.
 */
export function postgresTombstones (options: PostgresTombstonesOptions): TombstoneWriter {
  if (options === null || typeof options !== 'object' || typeof options.pool?.query !== 'function') throw new TypeError('postgresTombstones: options.pool must be a pg Pool')
  if (typeof options.runId !== 'string' || options.runId === '') throw new InvalidOptionError('runId', 'must be a non-empty string')
  const table = qualified(options.table ?? 'keydiff_tombstones', options.schema)
  const name = `${endpointOf(options.pool)} table ${table}`
  let created: Promise<unknown> | undefined = options.create === false ? Promise.resolve() : undefined
  return {
    name,
    async write (records) {
      if (records.length === 0) return
      try {
        created ??= options.pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
          run_id text NOT NULL, key text NOT NULL, size bigint, action text NOT NULL,
          outcome text NOT NULL, error text, at timestamptz NOT NULL DEFAULT now())`)
        await created
        await options.pool.query(`INSERT INTO ${table} (run_id, key, size, action, outcome, error, at)
          SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`, [
          options.runId,
          records.map(record => record.key),
          records.map(record => record.size ?? null),
          records.map(record => record.action),
          records.map(record => record.ok ? 'ok' : 'failed'),
          records.map(record => record.error ?? null),
          records.map(record => record.at ?? new Date())
        ])
      } catch (error) {
        created = options.create === false ? created : undefined
        throw new KeydiffError(`[postgres] ${name}: writing ${records.length} tombstones failed: ${(error as Error).message}`, 'KEYDIFF_AUDIT_FAILED', { cause: error })
      }
    }
  }
}
