import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryDeleteSink, directorySource, KeydiffError, plan, type KeySource } from '@keydiff/core'
import { postgresLock, postgresLookup, postgresReferences } from '../src/index.ts'
import { insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
let root: string
before(async () => {
  db = await openDatabase()
  root = await mkdtemp(join(tmpdir(), 'keydiff-pg-e2e-'))
})
after(async () => {
  await db.close()
  await rm(root, { recursive: true, force: true })
})

async function put (key: string, ageMs: number): Promise<void> {
  const path = join(root, 'store', key)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `object ${key}`)
  const when = new Date(Date.now() - ageMs)
  await utimes(path, when, when)
}

/** Runs `during` once, after the first batch: the application writing while the scan runs. */
function whileScanning (source: KeySource, during: () => Promise<void>): KeySource {
  // Not a spread: that would copy the byte-path capability (LINE_CHUNKS), and the engine would
  // read the table past this wrapper.
  return {
    name: source.name,
    sorted: source.sorted,
    estimatedCount: source.estimatedCount,
    get scanStartedAt () { return source.scanStartedAt },
    async * [Symbol.asyncIterator] () {
      let first = true
      for await (const batch of source) {
        yield batch
        if (first) await during()
        first = false
      }
    }
  }
}

test('table of references + directory store → plan → apply: rows written during the run keep their objects', async () => {
  const table = db.table('refs')
  await db.pool.query(`CREATE TABLE ${table.qualified} (object_key text PRIMARY KEY)`)
  const hour = 3600_000
  const live = Array.from({ length: 300 }, (_, i) => `blobs/live/${i}`)
  const orphans = Array.from({ length: 200 }, (_, i) => `blobs/orphan/${i}`)
  for (const key of [...live, ...orphans]) await put(key, 2 * hour)
  await insertKeys(db.pool, table.qualified, live, 'object_key')

  const references = await postgresReferences({ pool: db.pool, schema: db.schema, table: table.name, column: 'object_key', batchSize: 50, sorted: true })
  const out = join(root, 'plan.jsonl')
  const summary = await plan({
    candidates: directorySource({ root: join(root, 'store') }),
    references: whileScanning(references, async () => {
      // A new upload and its row, after the snapshot: the fence must keep it out.
      await put('blobs/new/upload', 0)
      await insertKeys(db.pool, table.qualified, ['blobs/new/upload'], 'object_key')
      // An old orphan re-linked by a row after the snapshot: the re-check must keep it.
      await insertKeys(db.pool, table.qualified, ['blobs/orphan/7'], 'object_key')
    }),
    out,
    grace: '10m'
  })
  assert.equal(summary.header.counts.planned, 200, 'every old orphan is planned, the re-linked one too (the snapshot did not see its row)')
  assert.equal(summary.header.referenceScanStartedAt, references.scanStartedAt?.toISOString())

  const result = await apply(out, directoryDeleteSink({ root: join(root, 'store') }), {
    lock: postgresLock({ pool: db.pool, target: `dir:${root}`, schema: db.schema }),
    recheck: [postgresLookup({ pool: db.pool, schema: db.schema, table: table.name, column: 'object_key' })]
  })
  assert.equal(result.done, 199)
  assert.equal(result.dropped, 1)
  assert.equal(result.failed, 0)
  assert.ok(existsSync(join(root, 'store', 'blobs/orphan/7')), 'the re-linked object survives')
  assert.ok(existsSync(join(root, 'store', 'blobs/new/upload')), 'the new upload survives')
  assert.ok(live.every(key => existsSync(join(root, 'store', key))), 'every referenced object survives')
  assert.ok(!existsSync(join(root, 'store', 'blobs/orphan/8')))
})

test('a reference scan that breaks mid-stream writes no plan', async () => {
  const table = db.table('refs')
  await db.pool.query(`CREATE TABLE ${table.qualified} AS SELECT 'blobs/x/' || g AS object_key FROM generate_series(1, 200000) g`)
  await put('blobs/orphan-only', 2 * 3600_000)
  const references = await postgresReferences({ pool: db.pool, schema: db.schema, table: table.name, column: 'object_key', batchSize: 1000 })
  const out = join(root, 'broken-plan.jsonl')
  await assert.rejects(plan({
    candidates: directorySource({ root: join(root, 'store') }),
    references: whileScanning(references, async () => {
      await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND strpos(query, '${table.name}') > 0`)
    }),
    out,
    grace: '10m'
  }), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_SOURCE_FAILED')
  assert.ok(!existsSync(out), 'no plan file from a partial read')
})
