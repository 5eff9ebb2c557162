import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import mysql, { type Connection } from 'mysql2'
import { LINE_CHUNKS } from '@keydiff/core/adapter'
import { keysOf, orphansOf, setOrphans, type WithChunks } from '@keydiff/sql-kit/testing'
import { mysqlReferences } from '../src/index.ts'
import { insertKeys, MYSQL_URL, numbersSql, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

// Lengths that take the one-, two- and three-byte length prefixes; NUL, control characters, non-ASCII.
const TRICKY = ['', 'plain', 'back\\slash', 'tab\there', 'new\nline', 'nul\u0000byte', 'é', '日本語/キー', '🙂',
  'x'.repeat(250), 'y'.repeat(251), 'ü'.repeat(300), 'z'.repeat(65_535), 'w'.repeat(70_000)]

test('a UTF-8 text column: the engine hashes the keys from the packets and finds what a Set finds (NULL, long and non-ASCII keys)', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, k MEDIUMTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL) ENGINE=InnoDB`)
  const references = [...TRICKY, ...Array.from({ length: 30_000 }, (_, i) => `blobs/${String(i % 977).padStart(4, '0')}/${i}${i % 13 === 0 ? '/é' : ''}`)]
  await insertKeys(db, table, references)
  await db.query(`INSERT INTO ${table} (k) VALUES (NULL), (NULL)`)
  const candidates = [...references.filter((_, i) => i % 3 !== 0), ...TRICKY.map(key => `${key}-orphan`), 'blobs/none']
  const expected = setOrphans(candidates, references)

  const source = mysqlReferences({ client: db.pool, table, column: 'k' }) as WithChunks
  assert.equal(typeof source[LINE_CHUNKS], 'function')
  const bytes = await orphansOf(source, candidates)
  assert.equal(bytes.byteReads, 1, 'the engine read the packet bytes')
  assert.deepEqual(bytes.orphans, expected)
  assert.ok(source.scanStartedAt instanceof Date)
  assert.deepEqual(await keysOf(source), [...references].sort())

  // mapRow goes through mysql2's rows; the engine reads its batches and agrees.
  const mapped = mysqlReferences({ client: db.pool, table, column: 'k', mapRow: row => row.k as string }) as WithChunks
  assert.equal(mapped[LINE_CHUNKS], undefined)
  assert.deepEqual((await orphansOf(mapped, candidates)).orphans, expected)
})

test('integer and latin1 columns: integers are read from the packets as decimal text, latin1 through mysql2 decoding', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (n BIGINT UNSIGNED, l VARCHAR(20) CHARACTER SET latin1) ENGINE=InnoDB`)
  await db.query(`INSERT INTO ${table} (n, l) VALUES (0, 'café'), (18446744073709551615, 'naïve'), (7, NULL), (NULL, 'x')`)
  const integers = mysqlReferences({ client: db.pool, table, column: 'n' }) as WithChunks
  assert.equal(typeof integers[LINE_CHUNKS], 'function')
  assert.deepEqual(await keysOf(integers), ['0', '18446744073709551615', '7'])
  assert.deepEqual((await orphansOf(integers, ['0', '7', '8', '18446744073709551615'])).orphans, ['8'])
  const latin1 = mysqlReferences({ client: db.pool, table, column: 'l' }) as WithChunks
  assert.deepEqual(await keysOf(latin1), ['café', 'naïve', 'x'])
  assert.deepEqual((await orphansOf(latin1, ['café', 'cafe'])).orphans, ['cafe'])
})

test('a consumer that stops reading holds the server back: the socket stops reading', async () => {
  const table = db.table()
  await db.query(`CREATE TABLE ${table} (k VARCHAR(100) NOT NULL) ENGINE=InnoDB`)
  await db.query(`INSERT INTO ${table} SELECT CONCAT('blobs/', MD5(n), MD5(-n)) FROM (${numbersSql(300_000)}) s`)
  const total = 300_000 * 72
  // A pool of its own, so that every connection it makes is seen.
  const url = new URL(MYSQL_URL)
  url.pathname = `/${db.database}`
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 2 })
  const connections: Connection[] = []
  pool.on('connection', connection => { connections.push(connection) })
  const source = mysqlReferences({ client: pool, table, column: 'k', batchSize: 1000 })
  const iterator = source[Symbol.asyncIterator]()
  const bytesRead = (): number => connections.reduce((sum, connection) => sum + ((connection as unknown as { stream: { bytesRead: number } }).stream.bytesRead), 0)
  try {
    let seen = 0
    const first = await iterator.next()
    seen += first.done === true ? 0 : first.value.length
    await sleep(1000)
    const held = bytesRead()
    await sleep(300)
    assert.equal(bytesRead(), held, 'no more bytes are read while the consumer waits')
    assert.ok(connections.length > 0)
    assert.ok(held < total / 2, `read ${held} of about ${total} bytes while the consumer waited`)
    for (;;) {
      const next = await iterator.next()
      if (next.done === true) break
      seen += next.value.length
    }
    assert.equal(seen, 300_000)
  } finally {
    await iterator.return?.()
    await new Promise<void>(resolve => { pool.end(() => resolve()) })
  }
})
