import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { KeydiffError } from '@keydiff/core'
import pg from 'pg'
import { lockSuite, pointLookupSuite, startBreakableProxy } from '@keydiff/core/conformance'
import { postgresLock, postgresLookup, postgresTombstones } from '../src/index.ts'
import { PGURL, insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase({ max: 12 }) })
after(async () => { await db.close() })

test('postgresLookup answers which keys are referenced now, in batches, through a key mapping', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} (key text PRIMARY KEY)`)
  const stored = Array.from({ length: 2500 }, (_, i) => `k/${i}`)
  await insertKeys(db.pool, table.qualified, stored)
  const lookup = postgresLookup({ pool: db.pool, schema: db.schema, table: table.name, column: 'key', batchSize: 700 })
  const asked = [...Array.from({ length: 3000 }, (_, i) => `k/${i}`), 'k/1', 'nope', '']
  const found = await lookup.has(asked)
  assert.equal(found.size, 2500)
  assert.ok(found.has('k/0') && found.has('k/2499') && !found.has('k/2500') && !found.has('nope'))
  await insertKeys(db.pool, table.qualified, ['k/2600'])
  assert.deepEqual([...await lookup.has(['k/2600', 'k/2601'])], ['k/2600'])

  const mapped = postgresLookup({ pool: db.pool, query: `SELECT key FROM ${table.qualified}`, toColumnKey: key => key.startsWith('bucket/') ? key.slice(7) : undefined })
  assert.deepEqual([...await mapped.has(['bucket/k/5', 'k/5', 'bucket/k/99999'])], ['bucket/k/5'])
})

test('postgresLookup on uuid, bytea and integer columns ignores keys no row can render to', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} (u uuid, b bytea, i int4)`)
  await db.pool.query(`INSERT INTO ${table.qualified} VALUES ('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '\\x00ff', 42)`)
  const lookup = (column: string) => postgresLookup({ pool: db.pool, schema: db.schema, table: table.name, column })
  assert.deepEqual([...await lookup('u').has(['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'not-a-uuid', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'])], ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'])
  assert.deepEqual([...await lookup('b').has(['00ff', '00FF', 'zz', '0'])], ['00ff'])
  assert.deepEqual([...await lookup('i').has(['42', '042', '99999999999', 'x'])], ['42'])
})

test('postgresLookup with a missing column fails with KEYDIFF_INVALID_OPTION', async () => {
  const lookup = postgresLookup({ pool: db.pool, schema: db.schema, table: 'nowhere', column: 'key' })
  await assert.rejects(lookup.has(['a']), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_INVALID_OPTION')
})

/** A pool that reaches the test server through a proxy that break() cuts, as a failed network would. */
async function breakablePool (): Promise<{ pool: pg.Pool, break: () => void, close: () => Promise<void> }> {
  const server = new URL(PGURL)
  const proxy = await startBreakableProxy({ host: server.hostname, port: Number(server.port || 5432) })
  server.hostname = proxy.host
  server.port = String(proxy.port)
  const pool = new pg.Pool({ connectionString: server.toString(), max: 8, connectionTimeoutMillis: 2000 })
  pool.on('error', () => {})
  return {
    pool,
    break: () => { proxy.break() },
    close: async () => {
      await proxy.stop()
      await pool.end()
    }
  }
}

pointLookupSuite({
  test,
  name: 'postgresLookup',
  factory: async referenced => {
    const table = db.table()
    await db.pool.query(`CREATE TABLE ${table.qualified} (key text PRIMARY KEY)`)
    await insertKeys(db.pool, table.qualified, referenced)
    const reach = await breakablePool()
    return {
      subject: {
        lookup: postgresLookup({ client: reach.pool, schema: db.schema, table: table.name, column: 'key', batchSize: 700 }),
        add: async keys => { await insertKeys(db.pool, table.qualified, keys) },
        break: async () => { reach.break() }
      },
      teardown: reach.close
    }
  }
})

let lockTargets = 0
lockSuite({
  test,
  name: 'postgresLock',
  factory: async () => {
    const target = `s3://bucket-${process.pid}-${++lockTargets}/prefix`
    const reach = await breakablePool()
    return {
      subject: {
        lock: () => postgresLock({ client: reach.pool, target, schema: db.schema }),
        break: async () => { reach.break() }
      },
      teardown: reach.close
    }
  }
})

test('postgresLock: a holder whose session dies frees the lock', async () => {
  const target = `s3://crash-${process.pid}`
  const lease = await postgresLock({ client: db.pool, target, schema: db.schema }).acquire({ owner: 'crasher' })
  const holders = await db.pool.query<{ pid: number }>(`SELECT DISTINCT l.pid FROM pg_locks l JOIN ${db.schema}.keydiff_locks k ON k.backend_pid = l.pid WHERE k.target = $1`, [target])
  const pids = holders.rows.map(row => row.pid)
  assert.equal(pids.length, 1)
  await db.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids])
  // pg_terminate_backend only signals: wait until the backend has exited and dropped its locks.
  for (let i = 0; i < 100; i++) {
    const alive = await db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids])
    if (alive.rowCount === 0) break
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  const next = await postgresLock({ client: db.pool, target, schema: db.schema }).acquire({ owner: 'next' })
  assert.equal(next.takenOver, undefined)
  await next.release()
  await lease.release()
})

test('postgresTombstones writes one row per record with run id and outcome', async () => {
  const writer = postgresTombstones({ pool: db.pool, schema: db.schema, table: 'tombstones', runId: 'run-1' })
  await writer.write([
    { key: 'a/1', size: 10, action: 'delete', ok: true },
    { key: 'a/2', size: 5_000_000_000, action: 'delete', ok: false, error: 'AccessDenied' }
  ])
  await writer.write([])
  const rows = (await db.pool.query(`SELECT run_id, key, size, action, outcome, error FROM ${db.schema}.tombstones ORDER BY key`)).rows
  assert.deepEqual(rows, [
    { run_id: 'run-1', key: 'a/1', size: '10', action: 'delete', outcome: 'ok', error: null },
    { run_id: 'run-1', key: 'a/2', size: '5000000000', action: 'delete', outcome: 'failed', error: 'AccessDenied' }
  ])
  const broken = postgresTombstones({ pool: db.pool, schema: 'no_such_schema_kd', runId: 'run-1', create: false })
  await assert.rejects(broken.write([{ key: 'x', action: 'delete', ok: true }]), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_AUDIT_FAILED')
})
