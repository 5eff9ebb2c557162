// Rows per second out of MySQL/MariaDB and into the engine, from a table of KEYDIFF_BENCH_ROWS
// (default 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes), generated server-side.
// KEYDIFF_BENCH_KEEP=1 keeps the table (database keydiff_bench) for the next run.
import mysql from 'mysql2'
import { asBatches, benchReferences } from '@keydiff/sql-kit/testing'
import { mysqlReferences, type MysqlReferencesOptions } from '../src/index.ts'
import { numbersSql } from '../test/helpers.ts'

const url = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const keep = process.env.KEYDIFF_BENCH_KEEP === '1'
const database = 'keydiff_bench'
const table = `refs_${rows}`
const admin = mysql.createPool({ uri: url.toString(), connectionLimit: 1 })
const query = async <T = unknown>(sql: string): Promise<T> => await new Promise<T>((resolve, reject) => {
  admin.query(sql, (error, result) => { if (error !== null) reject(error); else resolve(result as T) })
})

await query(`CREATE DATABASE IF NOT EXISTS ${database}`)
url.pathname = `/${database}`
const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
const references = (options: Partial<MysqlReferencesOptions> = {}): ReturnType<typeof mysqlReferences> =>
  mysqlReferences({ client: pool, table, column: 'k', ...options } as MysqlReferencesOptions)
try {
  const t = performance.now()
  const exists = await query<unknown[]>(`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' AND TABLE_NAME = '${table}'`)
  if (exists.length === 0) {
    await query(`CREATE TABLE ${database}.${table} (k VARCHAR(64) NOT NULL) ENGINE=InnoDB`)
    await query(`INSERT INTO ${database}.${table} SELECT CONCAT('blobs/', SUBSTR(h, 1, 2), '/', SUBSTR(h, 3, 2), '/', h) FROM (SELECT CONCAT(MD5(n), SUBSTR(MD5(-n), 1, 8)) AS h FROM (${numbersSql(rows)}) s) t`)
    console.log(`setup: ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  await benchReferences({
    adapter: 'mysql',
    rows,
    reads: [
      ['key batches, batch 10000', () => references({ batchSize: 10_000 })],
      ['key batches, batch 1000', () => references({ batchSize: 1000 })],
      ['key batches, sorted (no index: server sorts)', () => references({ sorted: true })]
    ],
    diffs: [
      ['diff <- source (default)', () => references()],
      ['diff <- source as key batches', () => asBatches(references())]
    ]
  })
} finally {
  if (!keep) await query(`DROP DATABASE IF EXISTS ${database}`)
  await new Promise<void>(resolve => { pool.end(() => resolve()) })
  await new Promise<void>(resolve => { admin.end(() => resolve()) })
}
