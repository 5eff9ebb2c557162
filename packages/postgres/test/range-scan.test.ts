import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { postgresRangeScan, type PostgresKeyRange } from '../src/index.ts'
import { openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

// what the CLI passes as alsoMatching: the references that may resolve to another key
const ALSO = '[%:\\\\]|^/|//|(^|/)\\.\\.?(/|$)'

/** Shards of one sixteenth of `blobs/<hex>` keys: the width a distributed run reads. */
const SHARDS: PostgresKeyRange[] = ['1', '5', '9', 'c'].map(digit => ({ after: `blobs/${digit}`, upTo: `blobs/${(parseInt(digit, 16) + 1).toString(16)}` }))

/** A table of 20,000 `blobs/<md5>` keys with a plain index (the database's collation), analysed. */
async function blobTable (prefix: string): Promise<{ name: string, qualified: string }> {
  const table = db.table(prefix)
  await db.pool.query(`CREATE TABLE ${table.qualified} (k text, u uuid)`)
  await db.pool.query(`INSERT INTO ${table.qualified} SELECT 'blobs/' || md5(g::text), md5(g::text)::uuid FROM generate_series(1, 20000) g`)
  await db.pool.query(`CREATE INDEX ${table.name}_plain ON ${table.qualified} (k)`)
  await db.pool.query(`ANALYZE ${table.qualified}`)
  return table
}

async function createIndexes (statements: readonly string[], table: string): Promise<void> {
  for (const statement of statements) await db.pool.query(statement)
  await db.pool.query(`ANALYZE ${table}`)
}

test('a range no index serves is read by scanning the whole table; the index it names serves it once created', async () => {
  const { name, qualified } = await blobTable('whole')
  const spec = { client: db.pool, schema: db.schema, table: name, column: 'k' }
  const without = await postgresRangeScan({ ...spec, ranges: SHARDS })
  assert.equal(without.wholeTable, true)
  for (const read of without.reads) {
    assert.equal(read.access, 'whole-table')
    assert.deepEqual(read.wholeTables, [`${db.schema}.${name}`])
  }
  // the plain index under the database's collation (C.UTF-8 here) does not serve a "C" range
  assert.deepEqual(without.createIndex, [`CREATE INDEX CONCURRENTLY ON "${db.schema}"."${name}" (("k" COLLATE "C"))`])

  await createIndexes(without.createIndex, qualified)
  const withIndex = await postgresRangeScan({ ...spec, ranges: SHARDS })
  assert.equal(withIndex.wholeTable, false)
  for (const read of withIndex.reads) {
    assert.equal(read.access, 'index', JSON.stringify(read))
    assert.deepEqual(read.wholeTables, [])
    assert.equal(read.indexes.length, 1)
    assert.notEqual(read.indexes[0], `${name}_plain`)
  }
  assert.deepEqual(withIndex.createIndex, [])
})

test('alsoMatching makes every range a scan of the table until a partial index of its pattern exists', async () => {
  const { name, qualified } = await blobTable('also')
  await db.pool.query(`CREATE INDEX ${name}_c ON ${qualified} ((k COLLATE "C"))`)
  await db.pool.query(`ANALYZE ${qualified}`)
  const spec = { client: db.pool, schema: db.schema, table: name, column: 'k' }
  const ranges = SHARDS.map(range => ({ ...range, alsoMatching: ALSO }))
  const orOnly = await postgresRangeScan({ ...spec, ranges })
  assert.equal(orOnly.wholeTable, true)
  assert.deepEqual(orOnly.createIndex, [`CREATE INDEX CONCURRENTLY ON "${db.schema}"."${name}" ("k") WHERE "k" COLLATE "C" ~ '${ALSO}'`])

  await createIndexes(orOnly.createIndex, qualified)
  const served = await postgresRangeScan({ ...spec, ranges })
  assert.equal(served.wholeTable, false)
  for (const read of served.reads) {
    assert.equal(read.access, 'index', JSON.stringify(read))
    assert.equal(read.indexes.length, 2, 'the range\'s index and the partial one, in a BitmapOr')
    assert.ok(read.indexes.includes(`${name}_c`))
  }
})

test('a range holding most of the table is read whole although the index exists: nothing to create', async () => {
  const { name, qualified } = await blobTable('wide')
  await db.pool.query(`CREATE INDEX ${name}_c ON ${qualified} ((k COLLATE "C"))`)
  await db.pool.query(`ANALYZE ${qualified}`)
  const scan = await postgresRangeScan({ client: db.pool, schema: db.schema, table: name, column: 'k', ranges: [{ upTo: 'blobs/e' }, SHARDS[0] as PostgresKeyRange] })
  assert.equal(scan.reads[0]?.access, 'whole-table')
  assert.equal(scan.reads[1]?.access, 'index')
  assert.equal(scan.wholeTable, false, 'one range of the two is read through the index')
  assert.deepEqual(scan.createIndex, [], 'the index that serves the range exists')
})

test('a uuid key is compared as its text: the expression index it names serves the range', async () => {
  const { name, qualified } = await blobTable('uuid')
  const spec = { client: db.pool, schema: db.schema, table: name, column: 'u' }
  const ranges = [{ after: '10', upTo: '20' }, { after: 'c0', upTo: 'd0' }]
  const without = await postgresRangeScan({ ...spec, ranges })
  assert.equal(without.wholeTable, true)
  assert.deepEqual(without.createIndex, [`CREATE INDEX CONCURRENTLY ON "${db.schema}"."${name}" ((("u"::text) COLLATE "C"))`])
  await createIndexes(without.createIndex, qualified)
  const served = await postgresRangeScan({ ...spec, ranges })
  assert.equal(served.wholeTable, false)
  assert.deepEqual(served.reads.map(read => read.access), ['index', 'index'])
})

test('a query names the tables it reads whole, and no index to create; its parameters are bound', async () => {
  const { name } = await blobTable('query')
  const scan = await postgresRangeScan({ client: db.pool, query: `SELECT k FROM ${db.schema}.${name} WHERE u IS NOT NULL`, ranges: SHARDS })
  assert.equal(scan.wholeTable, true)
  assert.deepEqual(scan.reads[0]?.wholeTables, [`${db.schema}.${name}`])
  assert.deepEqual(scan.createIndex, [])
  // its parameters, as the cursor binds them
  await db.pool.query(`CREATE INDEX ${name}_c ON ${db.schema}.${name} ((k COLLATE "C"))`)
  await db.pool.query(`ANALYZE ${db.schema}.${name}`)
  const bound = await postgresRangeScan({ client: db.pool, query: `SELECT k FROM ${db.schema}.${name} WHERE k <> $1`, params: ['blobs/'], ranges: SHARDS })
  assert.equal(bound.wholeTable, false)
  assert.deepEqual(bound.reads.map(read => read.indexes), SHARDS.map(() => [`${name}_c`]))
})

test('options: the client and at least one range with a bound; a wrong column fails as the source would', async () => {
  const { name } = await blobTable('options')
  const spec = { schema: db.schema, table: name, column: 'k' }
  await assert.rejects(postgresRangeScan({ ...spec, ranges: SHARDS } as never), /postgresRangeScan: option client is required/)
  await assert.rejects(postgresRangeScan({ ...spec, client: db.pool, ranges: [] }), TypeError)
  await assert.rejects(postgresRangeScan({ ...spec, client: db.pool, ranges: [{ alsoMatching: ALSO }] }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(postgresRangeScan({ ...spec, client: db.pool, column: 'nope', ranges: SHARDS }), { code: 'KEYDIFF_INVALID_OPTION' })
})
