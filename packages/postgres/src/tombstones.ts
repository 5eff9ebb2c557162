import { InvalidOptionError, type ActionRecord, type AuditSink } from '@keydiff/core'
import { required, tombstoneTable } from '@keydiff/sql-kit'
import { caller, poolOf, type PostgresClientOption } from './client-option.ts'
import { endpointOf } from './endpoint.ts'
import { qualified } from './identifiers.ts'

/** @deprecated The record is core's `ActionRecord`; this name goes in the next release. */
export type TombstoneRecord = ActionRecord

/** @deprecated Tombstones are core's `AuditSink`, which `apply({ auditSinks })` feeds; this name goes in the next release. */
export type TombstoneWriter = AuditSink

interface PostgresTombstonesFields {
  /** @default 'keydiff_tombstones' */
  table?: string
  /** @default the search path's first schema */
  schema?: string
  /** Recorded with every row, to reconcile one run. */
  runId: string
  /** Create the table when it is missing. @default true */
  create?: boolean
}

/** `client` (the user's pg Pool) and the table to write to. */
export type PostgresTombstonesOptions = PostgresTombstonesFields & PostgresClientOption

/**
 * A sweep's record of what it did, as a table (run_id, key, size, action, outcome, error,
 * at) for billing and audits: an AuditSink, so `apply(plan, sink, { auditSinks: [tombstones] })`
 * writes each batch with one INSERT as it goes.
 */
export function postgresTombstones (options: PostgresTombstonesOptions): AuditSink {
  const pool = poolOf(options, 'postgresTombstones')
  const runId = required(options.runId, 'runId', caller('postgresTombstones'))
  if (typeof runId !== 'string' || runId === '') throw new InvalidOptionError('runId', 'must be a non-empty string')
  const table = qualified(options.table ?? 'keydiff_tombstones', options.schema)
  return tombstoneTable({
    adapter: 'postgres',
    name: `${endpointOf(pool)} table ${table}`,
    create: options.create !== false,
    createTable: async () => await pool.query(`CREATE TABLE IF NOT EXISTS ${table} (
      run_id text NOT NULL, key text NOT NULL, size bigint, action text NOT NULL,
      outcome text NOT NULL, error text, at timestamptz NOT NULL DEFAULT now())`),
    insert: async records => await pool.query(`INSERT INTO ${table} (run_id, key, size, action, outcome, error, at)
      SELECT $1, * FROM unnest($2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])`, [
      runId,
      records.map(record => record.key),
      records.map(record => record.size ?? null),
      records.map(record => record.action),
      records.map(record => record.ok ? 'ok' : 'failed'),
      records.map(record => record.error ?? null),
      records.map(record => record.at ?? new Date())
    ])
  })
}
