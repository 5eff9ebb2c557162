import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import mysql from 'mysql2'
import mysqlPromise from 'mysql2/promise'
import { collect, isCode, referencesTests } from '@keydiff/sql-kit/testing'
import { mysqlReferences, mysqlReferencesUnion, mysqlSnapshot } from '../src/index.ts'
import { insertKeys, MYSQL_URL, numbersSql, openDatabase, type TestDatabase } from './helpers.ts'
import { openTarget } from './sql-target.ts'

referencesTests(openTarget)

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

test('a wrong password and an unreachable server fail with KEYDIFF_CONNECTION_FAILED naming the endpoint, not the password', async () => {
  const url = new URL(MYSQL_URL)
  url.password = 'wrong-secret'
  const wrong = mysql.createPool({ uri: url.toString() })
  try {
    await assert.rejects(collect(mysqlReferences({ client: wrong, table: 'anything', column: 'k' })), (error: unknown) => {
      isCode('KEYDIFF_CONNECTION_FAILED')(error)
      assert.match((error as Error).message, new RegExp(`${url.hostname}:${url.port || 3306}`))
      assert.doesNotMatch((error as Error).message, /wrong-secret/)
      return true
    })
  } finally {
    await new Promise<void>(resolve => { wrong.end(() => resolve()) })
  }
  const down = mysqlPromise.createPool({ host: '127.0.0.1', port: 1, user: 'root' })
  try {
    await assert.rejects(collect(mysqlReferences({ client: down, table: 'anything', column: 'k' })), isCode('KEYDIFF_CONNECTION_FAILED'))
  } finally {
    await down.end()
  }
})

test('key columns of other types render by the documented rule, and sorted mode follows it', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (b VARBINARY(16), i BIGINT UNSIGNED, s SMALLINT)`)
  await db.query(`INSERT INTO ${table} VALUES (UNHEX('00FF10'), 18446744073709551615, -5), (UNHEX('FE'), 10, 7), (NULL, NULL, NULL)`)
  const keysOf = async (column: string, extra: object = {}): Promise<string[]> =>
    (await collect(mysqlReferences({ client: db.pool, table, column, ...extra }))).map(entry => entry.key)
  assert.deepEqual(await keysOf('b', { sorted: true }), ['00ff10', 'fe'])
  assert.deepEqual((await keysOf('b', { binary: 'base64' })).sort(), ['/g==', 'AP8Q'])
  assert.deepEqual((await keysOf('i')).sort(), ['10', '18446744073709551615'])
  assert.deepEqual((await keysOf('s')).sort(), ['-5', '7'])
  await assert.rejects(keysOf('i', { sorted: true }), isCode('KEYDIFF_INVALID_OPTION'))
  await assert.rejects(keysOf('b', { sorted: true, binary: 'base64' }), isCode('KEYDIFF_INVALID_OPTION'))
  await assert.rejects(keysOf('b', { binary: 'utf8' }), isCode('KEYDIFF_SOURCE_FAILED'))
})

test('a query with parameters and extra columns feeds mapRow, through a promise pool', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (hash CHAR(32), store VARCHAR(10), size INT)`)
  await db.query(`INSERT INTO ${table} SELECT MD5(n), CONCAT('store', n % 2), n FROM (${numbersSql(2000)}) AS s`)
  const url = new URL(MYSQL_URL)
  url.pathname = `/${db.database}`
  const pool = mysqlPromise.createPool({ uri: url.toString() })
  try {
    const source = mysqlReferences({
      client: pool,
      query: `SELECT hash, store, size FROM ${table} WHERE store = ?`,
      params: ['store1'],
      column: 'hash',
      mapRow: row => ({ key: `${String(row.store)}/${String(row.hash)}`, size: Number(row.size) })
    })
    const entries = await collect(source)
    assert.equal(entries.length, 1000)
    assert.ok(entries.every(entry => entry.key.startsWith('store1/') && typeof entry.size === 'number' && entry.size % 2 === 1))
  } finally {
    await pool.end()
  }
})

test('mysqlReferencesUnion reads every database in one snapshot', async () => {
  const other = `${db.database}_b`
  await db.query(`CREATE DATABASE ${other}`)
  try {
    const a = db.table('ext')
    await db.query(`CREATE TABLE ${a} (hash VARCHAR(40)); CREATE TABLE ${other}.ext (hash VARCHAR(40))`)
    await insertKeys(db, a, ['a/1', 'c/3'], 'hash')
    await insertKeys(db, `${other}.ext`, ['b/2', 'c/3'], 'hash')
    const source = mysqlReferencesUnion({
      client: db.pool,
      batchSize: 1,
      parts: [{ table: a, column: 'hash' }, { database: other, table: 'ext', column: 'hash' }]
    })
    const keys: string[] = []
    for await (const batch of source) {
      if (keys.length === 0) await insertKeys(db, `${other}.ext`, ['late/row'], 'hash')
      keys.push(...batch.map(entry => entry.key))
    }
    assert.deepEqual(keys.sort(), ['a/1', 'b/2', 'c/3', 'c/3'])
    assert.ok(source.scanStartedAt instanceof Date)
  } finally {
    await db.query(`DROP DATABASE ${other}`)
  }
})

test('a snapshot serves one source at a time and says so when asked for two at once', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (k VARCHAR(100)) ENGINE=InnoDB`)
  await insertKeys(db, table, Array.from({ length: 3000 }, (_, i) => `s/${i}`))
  const snapshot = await mysqlSnapshot(db.pool)
  try {
    const first = mysqlReferences({ client: db.pool, table, column: 'k', snapshot, batchSize: 100 })
    const second = mysqlReferences({ client: db.pool, table, column: 'k', snapshot, batchSize: 100 })
    const iterator = first[Symbol.asyncIterator]()
    await iterator.next()
    await assert.rejects(collect(second), isCode('KEYDIFF_INVALID_OPTION'))
    let count = 100
    for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) count += next.value.length
    assert.equal(count, 3000)
    await insertKeys(db, table, ['after'])
    assert.equal((await collect(second)).length, 3000)
  } finally {
    await snapshot.release()
  }
})
