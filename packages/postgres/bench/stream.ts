// Rows per second out of PostgreSQL, per strategy and into the engine, from a table of
// KEYDIFF_BENCH_ROWS (default 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes),
// generated server-side. KEYDIFF_BENCH_KEEP=1 keeps the table for the next run.
import { createHash } from 'node:crypto'
import { loadavg } from 'node:os'
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { arraySource, diff, type KeySource } from '@keydiff/core'
import { postgresReferences, type PostgresReferencesOptions } from '../src/index.ts'

const url = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const keep = process.env.KEYDIFF_BENCH_KEEP === '1'
const pool = new pg.Pool({ connectionString: url, max: 2 })
const schema = 'keydiff_bench'
const table = `refs_${rows}`
const load = (): string => `load ${loadavg().map(n => n.toFixed(1)).join(' ')}`
const report = (label: string, count: number, seconds: number, extra = ''): void => {
  console.log(`postgres ${label.padEnd(44)} ${count} rows  ${seconds.toFixed(2)} s  ${(count / seconds / 1e6).toFixed(2)}M rows/s${extra}  (${load()})`)
}

/** The candidates: keys 1..n/5 of the table's shape (all referenced) and as many that are not. */
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

try {
  let t = performance.now()
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  const exists = await pool.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2`, [schema, table])
  if (exists.rowCount === 0) {
    await pool.query(`CREATE UNLOGGED TABLE ${schema}.${table} AS SELECT 'blobs/' || substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h AS key
      FROM (SELECT md5(g::text) || substr(md5((-g)::text), 1, 8) AS h FROM generate_series(1, ${rows}) g) s`)
    await pool.query(`ANALYZE ${schema}.${table}`)
    console.log(`setup: ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  }

  // The floor of the old path: pg-copy-streams' bytes counted, with no parsing.
  const client = await pool.connect()
  t = performance.now()
  let bytes = 0
  for await (const chunk of client.query(copyTo(`COPY ${schema}.${table} (key) TO STDOUT`)) as AsyncIterable<Buffer>) bytes += chunk.length
  client.release()
  const raw = (performance.now() - t) / 1000
  report('pg-copy-streams bytes (old floor)', rows, raw, `  ${(bytes / raw / 1e6).toFixed(0)} MB/s`)

  const cases: Array<[string, Partial<PostgresReferencesOptions>]> = [
    ['cursor, batch 10000', { strategy: 'cursor', batchSize: 10_000 }],
    ['copy (default), key batches', { strategy: 'copy' }],
    ['copy, sorted (no index: server sorts)', { strategy: 'copy', sorted: true }]
  ]
  for (const [label, options] of cases) {
    const source = await postgresReferences({ pool, schema, table, column: 'key', ...options })
    t = performance.now()
    let count = 0
    for await (const batch of source) count += batch.length
    report(label, count, (performance.now() - t) / 1000)
  }

  // Into the engine: the source as diff()'s references against a candidate list; the figure
  // is the reference phase (source to filter and exact set), the whole run is shown beside it.
  const candidates = candidateKeys(Math.min(500_000, Math.floor(rows / 5)))
  const engineCases: Array<[string, () => Promise<KeySource>]> = [
    ['diff <- copy (bytes into the engine)', async () => await postgresReferences({ pool, schema, table, column: 'key' })],
    ['diff <- copy as key batches', async () => asBatches(await postgresReferences({ pool, schema, table, column: 'key' }))],
    ['diff <- cursor, batch 10000', async () => await postgresReferences({ pool, schema, table, column: 'key', strategy: 'cursor' })]
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
  if (!keep) await pool.query(`DROP TABLE IF EXISTS ${schema}.${table}`)
  await pool.end()
}
