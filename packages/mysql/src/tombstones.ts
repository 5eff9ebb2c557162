import { InvalidOptionError, KeydiffError } from '@keydiff/core'
import { corePool, endpointOf, qualified, type MysqlPool } from './pool.ts'

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

export interface MysqlTombstonesOptions {
  pool: MysqlPool
  /** @default 'keydiff_tombstones' */
  table?: string
  /** @default the pool's database */
  database?: string
  /** Recorded with every row, to reconcile one run. */
  runId: string
  /** Create the table when it is missing. @default true */
  create?: boolean
}

/** Writes a sweep's audit records to a table (run_id, key, size, action, outcome, error, at), one INSERT per batch. */
export function mysqlTombstones (options: MysqlTombstonesOptions): TombstoneWriter {
  const pool = corePool(options.pool, 'mysqlTombstones')
  if (typeof options.runId !== 'string' || options.runId === '') throw new InvalidOptionError('runId', 'must be a non-empty string')
  const table = qualified(options.table ?? 'keydiff_tombstones', options.database)
  const name = `${endpointOf(pool)} table ${table}`
  const query = async (sql: string, values: unknown[] = []): Promise<void> => await new Promise<void>((resolve, reject) => {
    pool.query(sql, values, error => { if (error !== null) reject(error); else resolve() })
  })
  let created: Promise<void> | undefined = options.create === false ? Promise.resolve() : undefined
  return {
    name,
    async write (records) {
      if (records.length === 0) return
      try {
        created ??= query(`CREATE TABLE IF NOT EXISTS ${table} (run_id VARCHAR(200) NOT NULL, \`key\` TEXT NOT NULL, size BIGINT NULL,
          action VARCHAR(40) NOT NULL, outcome VARCHAR(10) NOT NULL, error TEXT NULL, at DATETIME(3) NOT NULL) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`)
        await created
        await query(`INSERT INTO ${table} (run_id, \`key\`, size, action, outcome, error, at) VALUES ?`, [records.map(record => [
          options.runId, record.key, record.size ?? null, record.action, record.ok ? 'ok' : 'failed', record.error ?? null,
          (record.at ?? new Date()).toISOString().slice(0, 23).replace('T', ' ')
        ])])
      } catch (error) {
        if (options.create !== false) created = undefined
        throw new KeydiffError(`[mysql] ${name}: writing ${records.length} tombstones failed: ${(error as Error).message}`, 'KEYDIFF_AUDIT_FAILED', { cause: error })
      }
    }
  }
}
