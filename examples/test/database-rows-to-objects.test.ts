import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import pg from 'pg'
import { KeydiffError } from '@keydiff/core'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { main } from '../src/database-rows-to-objects.ts'

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const suffix = randomBytes(4).toString('hex')
const schemas = ['lab_a', 'lab_b', 'lab_c'].map(lab => `keydiff_example_${lab}_${suffix}`)
let pool: pg.Pool
let server: S3rverServer
let client: S3Client
let work: string
const bucket = 'shared-objects'
const quiet = (): void => {}
// s3rver's LastModified is whole seconds at the write, before the snapshot: a zero grace is safe here.
const common = { bucket, grace: 0, acknowledgeZeroGrace: true, log: quiet }

async function listed (): Promise<Set<string>> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: bucket }))
  return new Set((page.Contents ?? []).map(object => object.Key as string))
}

// Which schemas reference which object; 'orphan' objects are referenced by none.
const OBJECTS: Record<string, number[]> = {
  'raw/a-only-1.dat': [0],
  'raw/a-only-2.dat': [0],
  'raw/b-only.dat': [1],
  'raw/shared-ab.dat': [0, 1],
  'processed/c-only.npy': [2],
  'processed/shared-all.npy': [0, 1, 2],
  'raw/orphan-1.dat': [],
  'raw/orphan-2.dat': [],
  'processed/orphan-3.npy': []
}

before(async () => {
  pool = new pg.Pool({ connectionString: PGURL, max: 6 })
  try {
    for (const schema of schemas) await pool.query(`CREATE SCHEMA ${schema}`)
  } catch (error) {
    await pool.end()
    throw new Error(`PostgreSQL is not reachable at ${PGURL}: ${(error as Error).message}. Start it, or set PGURL to a server the tests may create schemas on.`, { cause: error })
  }
  work = await mkdtemp(join(tmpdir(), 'keydiff-example-external-'))
  server = await startS3rver()
  client = server.client()
  await client.send(new CreateBucketCommand({ Bucket: bucket }))
  for (const schema of schemas) await pool.query(`CREATE TABLE ${schema}.external (id serial PRIMARY KEY, object_key text COLLATE "C" NOT NULL)`)
  for (const [key, owners] of Object.entries(OBJECTS)) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(64) }))
    for (const owner of owners) await pool.query(`INSERT INTO ${schemas[owner] as string}.external (object_key) VALUES ($1)`, [key])
  }
})
after(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await server?.stop()
  await rm(work, { recursive: true, force: true })
})

// Let a second pass between the last write and the snapshot.
before(async () => { await new Promise(resolve => setTimeout(resolve, 1100)) })

test('job 2: a schema whose table cannot be read fails the run before any plan', async () => {
  await assert.rejects(
    main({ ...common, pool, client, schemas: [...schemas, `keydiff_example_missing_${suffix}`], work, dryRun: false }),
    (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_INVALID_OPTION'
  )
  assert.ok(!existsSync(join(work, 'external.plan.jsonl')))
  assert.equal((await listed()).size, Object.keys(OBJECTS).length)
})

test('job 2: one schema alone would plan the other schemas\' objects; the union of all plans only the orphans', async () => {
  const alone = await main({ ...common, pool, client, schemas: [schemas[0] as string], work })
  assert.equal(alone.summary.header.counts.planned, 5, 'b-only, c-only and the three orphans: live data a partial set would lose')
  const all = await main({ ...common, pool, client, schemas, work })
  assert.equal(all.applied, undefined)
  assert.equal(all.summary.header.counts.planned, 3)
  assert.equal(all.summary.header.counts.references, 9, 'every row of every schema, shared objects once per row')
  assert.deepEqual(all.summary.prefixes, [{ prefix: 'processed/', count: 1, bytes: 64 }, { prefix: 'raw/', count: 2, bytes: 128 }])
  // resolved against the bucket's location (so a conflicting reference to another bucket is seen
  // before any orphan is judged), the references go through the hash path even when sorted
  assert.equal(all.summary.diff.strategy, 'hash')
  assert.equal((await listed()).size, Object.keys(OBJECTS).length, 'a dry run deletes nothing')
})

test('job 2: applying deletes exactly the objects no schema references', async () => {
  const result = await main({ ...common, pool, client, schemas, work, dryRun: false })
  assert.equal(result.applied?.done, 3)
  assert.equal(result.applied?.failed, 0)
  const left = await listed()
  for (const [key, owners] of Object.entries(OBJECTS)) assert.equal(left.has(key), owners.length > 0, key)
})
