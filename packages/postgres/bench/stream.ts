// Rows per second out of PostgreSQL, per strategy and into the engine, from a table of
// KEYDIFF_BENCH_ROWS (default 5M) keys shaped like `blobs/ab/cd/<40 hex>` (52 bytes),
// generated server-side. KEYDIFF_BENCH_KEEP=1 keeps the table for the next run.
import pg from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { asBatches, benchReferences, reportRate } from '@keydiff/sql-kit/testing'
import { postgresReferences, type PostgresReferencesOptions } from '../src/index.ts'

const url = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const rows = Number(process.env.KEYDIFF_BENCH_ROWS ?? 5_000_000)
const keep = process.env.KEYDIFF_BENCH_KEEP === '1'
const pool = new pg.Pool({ connectionString: url, max: 2 })
const schema = 'keydiff_bench'
const table = `refs_${rows}`
const references = (options: Partial<PostgresReferencesOptions> = {}): ReturnType<typeof postgresReferences> =>
  postgresReferences({ client: pool, schema, table, column: 'key', ...options } as PostgresReferencesOptions)

try {
  let t = performance.now()
  await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
  const exists = await pool.query('SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, table])
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
  reportRate('postgres', 'pg-copy-streams bytes (old floor)', rows, raw, `  ${(bytes / raw / 1e6).toFixed(0)} MB/s`)

  await benchReferences({
    adapter: 'postgres',
    rows,
    reads: [
      ['cursor, batch 10000', () => references({ strategy: 'cursor', batchSize: 10_000 })],
      ['copy (default), key batches', () => references({ strategy: 'copy' })],
      ['copy, sorted (no index: server sorts)', () => references({ strategy: 'copy', sorted: true })]
    ],
    diffs: [
      ['diff <- copy (bytes into the engine)', () => references()],
      ['diff <- copy as key batches', () => asBatches(references())],
      ['diff <- cursor, batch 10000', () => references({ strategy: 'cursor' })]
    ]
  })
} finally {
  if (!keep) await pool.query(`DROP TABLE IF EXISTS ${schema}.${table}`)
  await pool.end()
}
