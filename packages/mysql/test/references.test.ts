import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import mysql from 'mysql2'
import mysqlPromise from 'mysql2/promise'
import { KeydiffError, type KeyEntry, type KeySource } from '@keydiff/core'
import { mysqlReferences, mysqlReferencesUnion, mysqlSnapshot } from '../src/index.ts'
import { insertKeys, killQueryOn, MYSQL_URL, numbersSql, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

async function collect (source: KeySource): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) out.push(...batch)
  return out
}

const isCode = (code: string) => (error: unknown): boolean => {
  assert.ok(error instanceof KeydiffError, `expected a KeydiffError, got ${String(error)}`)
  assert.equal(error.code, code, error.message)
  return true
}

async function bigTable (rows: number): Promise<string> {
  const table = db.table('big')
  await db.query(`CREATE TABLE ${table} (k VARCHAR(64) NOT NULL) ENGINE=InnoDB`)
  await db.query(`INSERT INTO ${table} (k) SELECT CONCAT('blobs/', MD5(n)) FROM (${numbersSql(rows)}) AS s`)
  return table
}

test('a query that returns no such column fails before reading, naming the column', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (k VARCHAR(100))`)
  await assert.rejects(mysqlReferences({ pool: db.pool, query: `SELECT k AS key1 FROM ${table}`, column: 'path' }), isCode('KEYDIFF_INVALID_OPTION'))
  await assert.rejects(mysqlReferences({ pool: db.pool, table, column: 'path' }), isCode('KEYDIFF_INVALID_OPTION'))
  await assert.rejects(mysqlReferences({ pool: db.pool, table: 'no_such_table', column: 'k' }), isCode('KEYDIFF_INVALID_OPTION'))
})

test('a wrong password and an unreachable server fail with KEYDIFF_CONNECTION_FAILED naming the endpoint, not the password', async () => {
  const url = new URL(MYSQL_URL)
  url.password = 'wrong-secret'
  const wrong = mysql.createPool({ uri: url.toString() })
  try {
    await assert.rejects(mysqlReferences({ pool: wrong, table: 'anything', column: 'k' }), (error: unknown) => {
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
    await assert.rejects(mysqlReferences({ pool: down, table: 'anything', column: 'k' }), isCode('KEYDIFF_CONNECTION_FAILED'))
  } finally {
    await down.end()
  }
})

test('a connection killed mid-stream fails the iteration', async () => {
  const table = await bigTable(300_000)
  for (const sorted of [false, true]) {
    const source = await mysqlReferences({ pool: db.pool, table, column: 'k', batchSize: 1000, sorted })
    let seen = 0
    await assert.rejects(async () => {
      for await (const batch of source) {
        if (seen === 0) assert.equal(await killQueryOn(db, table), 1)
        seen += batch.length
      }
    }, isCode('KEYDIFF_SOURCE_FAILED'))
    assert.ok(seen < 300_000, `saw ${seen} keys`)
  }
})

test('the scan reads one snapshot: rows committed during the scan are not seen; scanStartedAt is before them', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (k VARCHAR(100)) ENGINE=InnoDB`)
  await insertKeys(db, table, Array.from({ length: 5000 }, (_, i) => `old/${i}`))
  const source = await mysqlReferences({ pool: db.pool, table, column: 'k', batchSize: 100 })
  const keys: string[] = []
  for await (const batch of source) {
    if (keys.length === 0) await insertKeys(db, table, ['new/after-snapshot'])
    keys.push(...batch.map(entry => entry.key))
  }
  assert.equal(keys.length, 5000)
  assert.ok(!keys.includes('new/after-snapshot'))
  assert.ok(source.scanStartedAt instanceof Date && Math.abs(source.scanStartedAt.getTime() - Date.now()) < 60_000)
  assert.equal(source.estimatedCount !== undefined && source.estimatedCount > 0, true)
})

test('key columns of other types render by the documented rule, and sorted mode follows it', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (b VARBINARY(16), i BIGINT UNSIGNED, s SMALLINT)`)
  await db.query(`INSERT INTO ${table} VALUES (UNHEX('00FF10'), 18446744073709551615, -5), (UNHEX('FE'), 10, 7), (NULL, NULL, NULL)`)
  const keysOf = async (column: string, extra: object = {}): Promise<string[]> =>
    (await collect(await mysqlReferences({ pool: db.pool, table, column, ...extra }))).map(entry => entry.key)
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
    const source = await mysqlReferences({
      pool,
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
    const source = await mysqlReferencesUnion({
      pool: db.pool,
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
    const first = await mysqlReferences({ pool: db.pool, table, column: 'k', snapshot, batchSize: 100 })
    const second = await mysqlReferences({ pool: db.pool, table, column: 'k', snapshot, batchSize: 100 })
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
