import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import { LINE_CHUNKS } from '@keydiff/core/adapter'
import { orphansOf, setOrphans, type WithChunks } from '@keydiff/sql-kit/testing'
import { postgresReferences } from '../src/index.ts'
import { insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

// Keys whose COPY form is escaped, whose length puts a 0x5c (backslash) or a byte >= 0x80 in
// the message length, and that look like COPY's NULL marker.
const TRICKY = [
  '', 'plain', 'back\\slash', '\\N', '\\', 'tab\there', 'new\nline', 'cr\rlf\r\n', 'ctrl\u0001\b\f\v',
  'é', '日本語/キー', '🙂', 'x'.repeat(87), 'y'.repeat(122), 'z'.repeat(123), 'w'.repeat(200), 'ü'.repeat(300),
  `${'\\'.repeat(40)}n`
]

test('copy: the engine hashes the rows from the socket bytes and finds what a Set finds (escapes, NULL, long and non-ASCII keys)', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} (key text)`)
  const references = [...TRICKY, ...Array.from({ length: 30_000 }, (_, i) => `blobs/${String(i % 977).padStart(4, '0')}/${i}${i % 13 === 0 ? '/é' : ''}`)]
  await insertKeys(db.pool, table.qualified, references)
  await db.pool.query(`INSERT INTO ${table.qualified} (key) VALUES (NULL), (NULL)`)
  const candidates = [...references.filter((_, i) => i % 3 !== 0), ...TRICKY.map(key => `${key}-orphan`), 'N', '\\\\N', 'blobs/none']
  const expected = setOrphans(candidates, references)

  const source = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', strategy: 'copy' }) as WithChunks
  assert.equal(typeof source[LINE_CHUNKS], 'function')
  const bytes = await orphansOf(source, candidates)
  assert.equal(bytes.byteReads, 1, 'the engine read the COPY bytes')
  assert.deepEqual(bytes.orphans, expected)
  assert.ok(source.scanStartedAt instanceof Date)

  // The same source as string batches: the same keys.
  const got: string[] = []
  for await (const batch of source) for (const entry of batch) got.push(entry.key)
  assert.deepEqual(got.sort(), [...references].sort())

  // The cursor has no byte path; the engine reads its batches and agrees.
  const cursor = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', strategy: 'cursor' }) as WithChunks
  assert.equal(cursor[LINE_CHUNKS], undefined)
  assert.deepEqual((await orphansOf(cursor, candidates)).orphans, expected)
})

test('copy: a consumer that stops reading holds the server back (the backend waits on the socket)', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT 'blobs/' || md5(g::text) || md5((-g)::text) AS key FROM generate_series(1, 400000) g`)
  const source = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', strategy: 'copy', batchSize: 1000 })
  let seen = 0
  const iterator = source[Symbol.asyncIterator]()
  try {
    const first = await iterator.next()
    seen += first.done === true ? 0 : first.value.length
    let waiting: string | undefined
    for (let i = 0; i < 50 && waiting !== 'ClientWrite'; i++) {
      await sleep(100)
      const rows = await db.pool.query<{ wait_event: string | null }>(`SELECT wait_event FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND query LIKE 'COPY%' AND strpos(query, '${table.name}') > 0`)
      waiting = rows.rows[0]?.wait_event ?? undefined
    }
    assert.equal(waiting, 'ClientWrite', 'the COPY backend is blocked writing to the paused socket')
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) break
      seen += next.value.length
    }
    assert.equal(seen, 400000)
  } finally {
    // Left early (a failed assertion), the scan's session is dropped so the schema can be.
    await iterator.return?.()
  }
})

test('copy: leaving early ends the scan and returns the pool to a usable state', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT 'k/' || g AS key FROM generate_series(1, 100000) g`)
  const source = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', batchSize: 1000 })
  for (let round = 0; round < 3; round++) {
    for await (const batch of source) {
      assert.ok(batch.length > 0)
      break
    }
  }
  let count = 0
  for await (const batch of source) count += batch.length
  assert.equal(count, 100000)
  assert.equal((await db.pool.query('SELECT 1 AS one')).rows[0].one, 1)
})

test('copy: an abort signal fails the scan with KEYDIFF_ABORTED', async () => {
  const table = db.table()
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT 'k/' || g AS key FROM generate_series(1, 200000) g`)
  const controller = new AbortController()
  const source = postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', batchSize: 1000, signal: controller.signal })
  await assert.rejects(async () => {
    for await (const _batch of source) controller.abort()
  }, (error: unknown) => (error as { code?: string }).code === 'KEYDIFF_ABORTED')
})
