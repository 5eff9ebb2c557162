import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { rangeTests } from '@keydiff/sql-kit/testing'
import { postgresReferences } from '../src/index.ts'
import { setRangeBounds } from '../src/key-range.ts'
import { orderedQuery, planQuery } from '../src/query-plan.ts'
import { openDatabase, PGURL, type TestDatabase } from './helpers.ts'
import { openTarget } from './sql-target.ts'

rangeTests(openTarget)

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

const ALSO = '[%:\\\\]|^/|//|(^|/)\\.\\.?(/|$)'

/** The plan PostgreSQL makes for the query a ranged source runs, in the transaction its scan would set the bounds in. */
async function explainRange (table: string, range: { after?: string, upTo?: string, alsoMatching?: string }): Promise<string> {
  const spec = { table, schema: db.schema, column: 'k' }
  const plan = await planQuery(db.pool, spec, 'explain', PGURL)
  const sql = orderedQuery(plan, 'q."k"', false, 'hex', 'explain', range)
  const client = await db.pool.connect()
  try {
    await client.query('BEGIN')
    await setRangeBounds(client, range)
    const explained = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`)
    await client.query('COMMIT')
    return explained.rows.map(row => row['QUERY PLAN']).join('\n')
  } finally {
    client.release()
  }
}

test('EXPLAIN: an index declared COLLATE "C" serves the range (and a partial index the alsoMatching rows); text_pattern_ops and an index under another collation do not', async () => {
  // a column under a linguistic collation, as a database made with a locale has
  const { name, qualified } = db.table('ranged')
  await db.pool.query(`CREATE TABLE ${qualified} (k text COLLATE "en-x-icu")`)
  await db.pool.query(`INSERT INTO ${qualified} SELECT md5(g::text) FROM generate_series(1, 50000) g`)
  await db.pool.query(`CREATE INDEX ${name}_plain ON ${qualified} (k)`)
  await db.pool.query(`CREATE INDEX ${name}_pattern ON ${qualified} (k text_pattern_ops)`)
  await db.pool.query(`ANALYZE ${qualified}`)
  const without = await explainRange(name, { after: 'a0', upTo: 'a1' })
  assert.match(without, /Seq Scan/, without)

  await db.pool.query(`CREATE INDEX ${name}_c ON ${qualified} (k COLLATE "C")`)
  await db.pool.query(`ANALYZE ${qualified}`)
  const ranged = await explainRange(name, { after: 'a0', upTo: 'a1' })
  assert.match(ranged, new RegExp(`Index (Only )?Scan (using|on) ${name}_c`), ranged)
  assert.doesNotMatch(ranged, /Seq Scan/, ranged)
  const openBound = await explainRange(name, { after: 'fe' })
  assert.match(openBound, new RegExp(`${name}_c`), openBound)

  await db.pool.query(`CREATE INDEX ${name}_odd ON ${qualified} (k) WHERE k COLLATE "C" ~ '${ALSO}'`)
  await db.pool.query(`ANALYZE ${qualified}`)
  const withAlso = await explainRange(name, { after: 'a0', upTo: 'a1', alsoMatching: ALSO })
  assert.match(withAlso, /BitmapOr/, withAlso)
  assert.match(withAlso, new RegExp(`Bitmap Index Scan on ${name}_c`), withAlso)
  assert.match(withAlso, new RegExp(`Bitmap Index Scan on ${name}_odd`), withAlso)
  assert.doesNotMatch(withAlso, /Seq Scan/, withAlso)

  const expected = (await db.pool.query<{ k: string }>(`SELECT k FROM ${qualified} WHERE k COLLATE "C" > 'a0' AND k COLLATE "C" <= 'a1' ORDER BY k COLLATE "C"`)).rows.map(row => row.k)
  assert.ok(expected.length > 50)
  for (const strategy of ['copy', 'cursor'] as const) {
    const got: string[] = []
    for await (const batch of postgresReferences({ client: db.pool, table: name, schema: db.schema, column: 'k', strategy, sorted: true, range: { after: 'a0', upTo: 'a1', alsoMatching: ALSO } })) {
      for (const entry of batch) got.push(entry.key)
    }
    assert.deepEqual(got, expected, strategy)
  }
})
