import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { collect, isCode, referencesTests } from '@keydiff/sql-kit/testing'
import { postgresReferences, postgresReferencesUnion, postgresSnapshot } from '../src/index.ts'
import { postgresError } from '../src/errors.ts'
import { insertKeys, openDatabase, PGURL, type TestDatabase } from './helpers.ts'
import { openTarget } from './sql-target.ts'

referencesTests(openTarget)

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

test('an unknown role and an unreachable server fail with KEYDIFF_CONNECTION_FAILED naming the endpoint, not the password', async () => {
  const url = new URL(PGURL)
  url.username = 'keydiff_no_such_role'
  url.password = 'secret-password'
  const wrong = new pg.Pool({ connectionString: url.toString() })
  try {
    await assert.rejects(collect(postgresReferences({ client: wrong, table: 'anything', column: 'key' })), (error: unknown) => {
      isCode('KEYDIFF_CONNECTION_FAILED')(error)
      assert.match((error as Error).message, /keydiff_no_such_role@/)
      assert.doesNotMatch((error as Error).message, /secret-password/)
      return true
    })
  } finally {
    await wrong.end()
  }
  const down = new pg.Pool({ host: '127.0.0.1', port: 1, user: 'postgres', database: 'test' })
  try {
    await assert.rejects(collect(postgresReferences({ client: down, table: 'anything', column: 'key' })), (error: unknown) => {
      isCode('KEYDIFF_CONNECTION_FAILED')(error)
      assert.match((error as Error).message, /127\.0\.0\.1:1\//)
      return true
    })
  } finally {
    await down.end()
  }
})

test('a socket error while rows stream is the source failing; before that, the server unreachable', () => {
  // Which of pg's errors a terminated backend surfaces first is a race (57P01, or EPIPE on the
  // next FETCH): the tests above see either, so the classification is pinned here.
  const epipe = Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })
  assert.equal(postgresError('refs', PGURL, epipe, 'table', true).code, 'KEYDIFF_SOURCE_FAILED')
  assert.equal(postgresError('refs', PGURL, epipe).code, 'KEYDIFF_CONNECTION_FAILED')
  const refused = Object.assign(new Error('password authentication failed'), { code: '28P01' })
  assert.equal(postgresError('refs', PGURL, refused, 'table', true).code, 'KEYDIFF_CONNECTION_FAILED')
})

test('key columns of other types render by the documented rule, and sorted mode follows it', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} (u uuid, b bytea, i bigint, s smallint)`)
  await db.pool.query(`INSERT INTO ${table.qualified} VALUES
    ('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '\\x00ff10', 9007199254740993, -5),
    ('00000000-0000-0000-0000-000000000001', '\\xfe', 10, 7),
    (NULL, NULL, NULL, NULL)`)
  const keysOf = async (column: string, extra: object = {}): Promise<string[]> =>
    (await collect(postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column, ...extra }))).map(entry => entry.key)
  assert.deepEqual(await keysOf('u', { sorted: true }), ['00000000-0000-0000-0000-000000000001', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'])
  assert.deepEqual(await keysOf('b', { sorted: true }), ['00ff10', 'fe'])
  assert.deepEqual(await keysOf('b', { sorted: true, strategy: 'copy' }), ['00ff10', 'fe'])
  assert.deepEqual((await keysOf('b', { binary: 'base64' })).sort(), ['/g==', 'AP8Q'])
  assert.deepEqual((await keysOf('b', { binary: 'base64', strategy: 'copy' })).sort(), ['/g==', 'AP8Q'])
  assert.deepEqual((await keysOf('i')).sort(), ['10', '9007199254740993'])
  assert.deepEqual((await keysOf('s', { strategy: 'copy' })).sort(), ['-5', '7'])
  await assert.rejects(keysOf('i', { sorted: true }), isCode('KEYDIFF_INVALID_OPTION'))
  await assert.rejects(keysOf('b', { sorted: true, binary: 'base64' }), isCode('KEYDIFF_INVALID_OPTION'))
})

test('a query with parameters and extra columns feeds mapRow; the planner estimates the count', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT md5(g::text) AS hash, 'store' || (g % 2) AS store, g AS size FROM generate_series(1, 2000) g`)
  await db.pool.query(`ANALYZE ${table.qualified}`)
  const source = await postgresReferences({
    client: db.pool,
    query: `SELECT hash, store, size FROM ${table.qualified} WHERE store = $1`,
    params: ['store1'],
    column: 'hash',
    mapRow: row => ({ key: `${String(row.store)}/${String(row.hash)}`, size: Number(row.size) })
  })
  assert.ok(source.estimatedCount !== undefined && source.estimatedCount > 500 && source.estimatedCount < 2000, `estimate ${source.estimatedCount}`)
  const entries = await collect(source)
  assert.equal(entries.length, 1000)
  assert.ok(entries.every(entry => entry.key.startsWith('store1/') && typeof entry.size === 'number' && entry.size % 2 === 1))
})

test('postgresReferencesUnion merges sorted parts', async () => {
  const a = db.table('ext')
  const b = db.table('ext')
  await db.pool.query(`CREATE TABLE ${a.qualified} (hash text); CREATE TABLE ${b.qualified} (hash text)`)
  await insertKeys(db.pool, a.qualified, ['a/1', 'c/3', 'e/5'], 'hash')
  await insertKeys(db.pool, b.qualified, ['b/2', 'd/4', 'c/3'], 'hash')
  const source = postgresReferencesUnion({
    client: db.pool,
    sorted: true,
    parts: [a, b].map(table => ({ schema: db.schema, table: table.name, column: 'hash' }))
  })
  assert.equal(source.sorted, true)
  assert.deepEqual((await collect(source)).map(entry => entry.key), ['a/1', 'b/2', 'c/3', 'c/3', 'd/4', 'e/5'])
})

test('a shared snapshot: two sources see the same state although rows arrive between them', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} (key text)`)
  await insertKeys(db.pool, table.qualified, ['x/1', 'x/2'])
  const snapshot = await postgresSnapshot(db.pool)
  try {
    const first = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', snapshot })
    assert.equal((await collect(first)).length, 2)
    await insertKeys(db.pool, table.qualified, ['x/3'])
    const second = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', snapshot })
    assert.equal((await collect(second)).length, 2)
    assert.equal(second.scanStartedAt?.getTime(), snapshot.startedAt.getTime())
  } finally {
    await snapshot.release()
  }
})

test('leaving a scan early returns its session, and the pool keeps working', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT g::text AS key FROM generate_series(1, 50000) g`)
  for (const strategy of ['cursor', 'copy'] as const) {
    const source = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', strategy, batchSize: 100 })
    for (let i = 0; i < 10; i++) {
      for await (const batch of source) { assert.ok(batch.length > 0); break }
    }
  }
  assert.equal(db.pool.waitingCount, 0)
  assert.equal((await db.pool.query('SELECT 1 AS one')).rows[0].one, 1)
})
