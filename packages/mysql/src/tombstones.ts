import { InvalidOptionError, type ActionRecord, type AuditSink } from '@keydiff/core'
import { required, tombstoneTable } from '@keydiff/sql-kit'
import { caller, poolOf, type MysqlClientOption } from './client-option.ts'
import { endpointOf, qualified } from './pool.ts'

/** @deprecated The record is core's `ActionRecord`; this name goes in the next release. */
export type TombstoneRecord = ActionRecord

/** @deprecated Tombstones are core's `AuditSink`, which `apply({ auditSinks })` feeds; this name goes in the next release. */
export type TombstoneWriter = AuditSink

interface MysqlTombstonesFields {
  /** @default 'keydiff_tombstones' */
  table?: string
  /** @default the pool's database */
  database?: string
  /** Recorded with every row, to reconcile one run. */
  runId: string
  /** Create the table when it is missing. @default true */
  create?: boolean
}

/** `client` (the user's mysql2 pool) and the table to write to. */
export type MysqlTombstonesOptions = MysqlTombstonesFields & MysqlClientOption

/**
 * A sweep's record of what it did, as a table (run_id, key, size, action, outcome, error,
 * at): an AuditSink, so `apply(plan, sink, { auditSinks: [tombstones] })` writes each batch
 * with one INSERT as it goes.
 */
export function mysqlTombstones (options: MysqlTombstonesOptions): AuditSink {
  const pool = poolOf(options, 'mysqlTombstones')
  const runId = required(options.runId, 'runId', caller('mysqlTombstones'))
  if (typeof runId !== 'string' || runId === '') throw new InvalidOptionError('runId', 'must be a non-empty string')
  const table = qualified(options.table ?? 'keydiff_tombstones', options.database)
  const query = async (sql: string, values: unknown[] = []): Promise<void> => await new Promise<void>((resolve, reject) => {
    pool.query(sql, values, error => { if (error !== null) reject(error); else resolve() })
  })
  return tombstoneTable({
    adapter: 'mysql',
    name: `${endpointOf(pool)} table ${table}`,
    create: options.create !== false,
    createTable: async () => await query(`CREATE TABLE IF NOT EXISTS ${table} (run_id VARCHAR(200) NOT NULL, \`key\` TEXT NOT NULL, size BIGINT NULL,
      action VARCHAR(40) NOT NULL, outcome VARCHAR(10) NOT NULL, error TEXT NULL, at DATETIME(3) NOT NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`),
    insert: async records => await query(`INSERT INTO ${table} (run_id, \`key\`, size, action, outcome, error, at) VALUES ?`, [records.map(record => [
      runId, record.key, record.size ?? null, record.action, record.ok ? 'ok' : 'failed', record.error ?? null,
      (record.at ?? new Date()).toISOString().slice(0, 23).replace('T', ' ')
    ])])
  })
}
