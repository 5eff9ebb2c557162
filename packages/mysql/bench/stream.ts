// Rows per second out of MySQL/MariaDB and into the engine, from a table of KEYDIFF_BENCH_ROWS
// (default 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes), generated server-side.
// KEYDIFF_BENCH_KEEP=1 keeps the table (database keydiff_bench) for the next run.
import { createHash } from 'node:crypto'
import { loadavg } from 'node:os'
import mysql from 'mysql2'
import { arraySource, diff, type KeySource } from '@keydiff/core'
import { mysqlReferences, type MysqlReferencesOptions } from '../src/index.ts'

const url = new URL(process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const keep = process.env.KEYDIFF_BENCH_KEEP === '1'
const database = 'keydiff_bench'
const table = `refs_${rows}`
const admin = mysql.createPool({ uri: url.toString(), connectionLimit: 1 })
const query = async <T = unknown>(sql: string): Promise<T> => await new Promise<T>((resolve, reject) => {
  admin.query(sql, (error, result) => { if (error !== null) reject(error); else resolve(result as T) })
})
const digits = '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)'
const places = Math.ceil(Math.log10(rows + 1))
const names = Array.from({ length: places }, (_, i) => `d${i}`)
const numbers = `SELECT ${names.map((name, i) => `${name}.d * ${10 ** i}`).join(' + ')} + 1 AS n FROM ${names.map(name => `${digits} ${name}`).join(', ')} HAVING n <= ${rows}`
const load = (): string => `load ${loadavg().map(n => n.toFixed(1)).join(' ')}`
const report = (label: string, count: number, seconds: number, extra = ''): void => {
  console.log(`mysql ${label.padEnd(44)} ${count} rows  ${seconds.toFixed(2)} s  ${(count / seconds / 1e6).toFixed(2)}M rows/s${extra}  (${load()})`)
}

/** The candidates: keys 1..n of the table's shape (all referenced) and as many that are not. */
function candidateKeys (n: number): string[] {
  const key = (g: number): string => {
    const h = createHash('md5').update(String(g)).digest('hex') + createHash('md5').update(String(-g)).digest('hex').slice(0, 8)
    return `blobs/${h.slice(0, 2)}/${h.slice(2, 4)}/${h}`
  }
  return Array.from({ length: 2 * n }, (_, i) => i < n ? key(i + 1) : key(rows + i))
}

/** The same source without its byte path, so the engine reads its string batches. */
const asBatches = (source: KeySource): KeySource => ({
  name: source.name,
  sorted: source.sorted,
  estimatedCount: source.estimatedCount,
  [Symbol.asyncIterator]: () => source[Symbol.asyncIterator]()
})

await query(`CREATE DATABASE IF NOT EXISTS ${database}`)
url.pathname = `/${database}`
const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
try {
  let t = performance.now()
  const exists = await query<unknown[]>(`SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = '${database}' AND TABLE_NAME = '${table}'`)
  if (exists.length === 0) {
    await query(`CREATE TABLE ${database}.${table} (k VARCHAR(64) NOT NULL) ENGINE=InnoDB`)
    await query(`INSERT INTO ${database}.${table} SELECT CONCAT('blobs/', SUBSTR(h, 1, 2), '/', SUBSTR(h, 3, 2), '/', h) FROM (SELECT CONCAT(MD5(n), SUBSTR(MD5(-n), 1, 8)) AS h FROM (${numbers}) s) t`)
    console.log(`setup: ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }
  const cases: Array<[string, Partial<MysqlReferencesOptions>]> = [
    ['key batches, batch 10000', { batchSize: 10_000 }],
    ['key batches, batch 1000', { batchSize: 1000 }],
    ['key batches, sorted (no index: server sorts)', { sorted: true }]
  ]
  for (const [label, options] of cases) {
    const source = await mysqlReferences({ pool, table, column: 'k', ...options })
    t = performance.now()
    let count = 0
    for await (const batch of source) count += batch.length
    report(label, count, (performance.now() - t) / 1000)
  }

  // Into the engine: the source as diff()'s references against a candidate list; the figure
  // is the reference phase (source to filter and exact set), the whole run is shown beside it.
  const candidates = candidateKeys(Math.min(500_000, Math.floor(rows / 5)))
  const engineCases: Array<[string, () => Promise<KeySource>]> = [
    ['diff <- source (default)', async () => await mysqlReferences({ pool, table, column: 'k' })],
    ['diff <- source as key batches', async () => asBatches(await mysqlReferences({ pool, table, column: 'k' }))]
  ]
  for (const [label, open] of engineCases) {
    const references = await open()
    let referencesDone = 0
    const listing = arraySource(candidates, { batchSize: 10_000 })
    const timed: KeySource = { name: 'candidates', sorted: false, [Symbol.asyncIterator]: () => { referencesDone = performance.now(); return listing[Symbol.asyncIterator]() } }
    t = performance.now()
    const run = diff({ candidates: timed, references })
    let orphans = 0
    for await (const part of run) orphans += part.entries.length
    const total = (performance.now() - t) / 1000
    report(label, run.stats.references.count, (referencesDone - t) / 1000, `  (whole diff ${total.toFixed(2)} s, ${candidates.length} candidates, ${orphans} orphans)`)
  }
} finally {
  if (!keep) await query(`DROP DATABASE IF EXISTS ${database}`)
  await new Promise<void>(resolve => { pool.end(() => resolve()) })
  await new Promise<void>(resolve => { admin.end(() => resolve()) })
}
