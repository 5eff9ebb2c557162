// Rows per second streamed out of PostgreSQL per strategy, from a table of KEYDIFF_BENCH_ROWS
// (default 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes), generated server-side.
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { postgresReferences, type PostgresReferencesOptions } from '../src/index.ts'

const url = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const pool = new pg.Pool({ connectionString: url, max: 2 })
const schema = `keydiff_bench_${process.pid}`

try {
  let t = performance.now()
  await pool.query(`CREATE SCHEMA ${schema}`)
  await pool.query(`CREATE UNLOGGED TABLE ${schema}.refs AS SELECT 'blobs/' || substr(h, 1, 2) || '/' || substr(h, 3, 2) || '/' || h AS key
    FROM (SELECT md5(g::text) || substr(md5((-g)::text), 1, 8) AS h FROM generate_series(1, ${rows}) g) s`)
  await pool.query(`ANALYZE ${schema}.refs`)
  console.log(`setup: ${rows} rows in ${((performance.now() - t) / 1000).toFixed(1)} s`)
  const cases: Array<[string, Partial<PostgresReferencesOptions>]> = [
    ['cursor, batch 10000', { strategy: 'cursor', batchSize: 10_000 }],
    ['cursor, batch 1000', { strategy: 'cursor', batchSize: 1000 }],
    ['copy', { strategy: 'copy' }],
    ['copy, sorted (no index: server sorts)', { strategy: 'copy', sorted: true }]
  ]
  // The floor: COPY's bytes counted, with no parsing, so the adapter's own cost shows.
  const client = await pool.connect()
  t = performance.now()
  let bytes = 0
  for await (const chunk of client.query(copyTo(`COPY ${schema}.refs (key) TO STDOUT`)) as AsyncIterable<Buffer>) bytes += chunk.length
  client.release()
  const raw = (performance.now() - t) / 1000
  console.log(`postgres ${'raw COPY bytes (baseline)'.padEnd(40)} ${rows} rows  ${raw.toFixed(2)} s  ${(rows / raw / 1e6).toFixed(2)}M rows/s  ${(bytes / raw / 1e6).toFixed(0)} MB/s`)
  for (const [label, options] of cases) {
    const source = await postgresReferences({ pool, schema, table: 'refs', column: 'key', ...options })
    t = performance.now()
    let count = 0
    for await (const batch of source) count += batch.length
    const seconds = (performance.now() - t) / 1000
    console.log(`postgres ${label.padEnd(40)} ${count} rows  ${seconds.toFixed(2)} s  ${(count / seconds / 1e6).toFixed(2)}M rows/s`)
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
}
