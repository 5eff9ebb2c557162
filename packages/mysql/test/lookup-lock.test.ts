import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { KeydiffError } from '@keydiff/core'
import mysql from 'mysql2'
import { lockSuite, pointLookupSuite, startBreakableProxy } from '@keydiff/core/conformance'
import { mysqlLock, mysqlLookup, mysqlTombstones } from '../src/index.ts'
import { MYSQL_URL, insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase({ connectionLimit: 12 }) })
after(async () => { await db.close() })

test('mysqlLookup answers which keys are referenced now, exactly, despite a case-insensitive collation', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (k VARCHAR(100) COLLATE utf8mb4_general_ci PRIMARY KEY)`)
  await insertKeys(db, table, [...Array.from({ length: 2500 }, (_, i) => `k/${i}`), 'Mixed/Case', 'pad'])
  const lookup = mysqlLookup({ pool: db.pool, table, column: 'k', batchSize: 700 })
  const found = await lookup.has([...Array.from({ length: 3000 }, (_, i) => `k/${i}`), 'k/1', 'nope', 'mixed/case', 'Mixed/Case', 'pad '])
  assert.equal(found.size, 2501)
  assert.ok(found.has('k/0') && found.has('k/2499') && found.has('Mixed/Case') && !found.has('mixed/case') && !found.has('pad ') && !found.has('k/2500'))
  await insertKeys(db, table, ['k/2600'])
  assert.deepEqual([...await lookup.has(['k/2600', 'k/2601'])], ['k/2600'])
  const mapped = mysqlLookup({ pool: db.pool, query: `SELECT k FROM ${table}`, toColumnKey: key => key.startsWith('bucket/') ? key.slice(7) : undefined })
  assert.deepEqual([...await mapped.has(['bucket/k/5', 'k/5', 'bucket/k/99999'])], ['bucket/k/5'])
})

test('mysqlLookup on binary and integer columns ignores keys no row can render to', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (b VARBINARY(16), i INT)`)
  await db.query(`INSERT INTO ${table} VALUES (UNHEX('00FF'), 42)`)
  assert.deepEqual([...await mysqlLookup({ pool: db.pool, table, column: 'b' }).has(['00ff', '00FF', 'zz', '0'])], ['00ff'])
  assert.deepEqual([...await mysqlLookup({ pool: db.pool, table, column: 'i' }).has(['42', '042', 'x'])], ['42'])
  await assert.rejects(mysqlLookup({ pool: db.pool, table: 'nowhere', column: 'k' }).has(['a']), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_INVALID_OPTION')
})

/** A pool that reaches the test database through a proxy that break() cuts, as a failed network would. */
async function breakablePool (): Promise<{ pool: mysql.Pool, break: () => void, close: () => Promise<void> }> {
  const server = new URL(MYSQL_URL)
  const proxy = await startBreakableProxy({ host: server.hostname, port: Number(server.port || 3306) })
  server.hostname = proxy.host
  server.port = String(proxy.port)
  server.pathname = `/${db.database}`
  const pool = mysql.createPool({ uri: server.toString(), connectionLimit: 8, connectTimeout: 2000 })
  return {
    pool,
    break: () => { proxy.break() },
    close: async () => {
      await proxy.stop()
      await new Promise<void>(resolve => { pool.end(() => { resolve() }) })
    }
  }
}

pointLookupSuite({
  test,
  name: 'mysqlLookup',
  factory: async referenced => {
    const table = db.table()
    // A case-insensitive collation that pads: the look-up must still answer exactly.
    await db.query(`CREATE TABLE ${table} (k VARCHAR(1100) COLLATE utf8mb4_general_ci, KEY (k(255)))`)
    if (referenced.length > 0) await insertKeys(db, table, referenced)
    const reach = await breakablePool()
    return {
      subject: {
        lookup: mysqlLookup({ pool: reach.pool, table, column: 'k', batchSize: 700 }),
        add: async keys => { await insertKeys(db, table, keys) },
        break: async () => { reach.break() }
      },
      teardown: reach.close
    }
  }
})

let lockTargets = 0
lockSuite({
  test,
  name: 'mysqlLock',
  factory: async () => {
    const target = `s3://bucket-${process.pid}-${++lockTargets}/prefix`
    const reach = await breakablePool()
    return {
      subject: {
        lock: () => mysqlLock({ client: reach.pool, target }),
        break: async () => { reach.break() }
      },
      teardown: reach.close
    }
  }
})

test('mysqlTombstones writes one row per record with run id and outcome', async () => {
  const writer = mysqlTombstones({ pool: db.pool, table: 'tombstones', runId: 'run-1' })
  await writer.write([
    { key: 'a/1', size: 10, action: 'delete', ok: true },
    { key: 'a/2', size: 5_000_000_000, action: 'delete', ok: false, error: 'AccessDenied' }
  ])
  await writer.write([])
  const rows = await db.query<unknown[]>('SELECT run_id, `key`, CAST(size AS CHAR) AS size, action, outcome, error FROM tombstones ORDER BY `key`')
  assert.deepEqual(rows.map(row => ({ ...(row as object) })), [
    { run_id: 'run-1', key: 'a/1', size: '10', action: 'delete', outcome: 'ok', error: null },
    { run_id: 'run-1', key: 'a/2', size: '5000000000', action: 'delete', outcome: 'failed', error: 'AccessDenied' }
  ])
  const broken = mysqlTombstones({ pool: db.pool, database: 'no_such_db_kd', runId: 'run-1', create: false })
  await assert.rejects(broken.write([{ key: 'x', action: 'delete', ok: true }]), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_AUDIT_FAILED')
})
