import assert from 'node:assert/strict'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import { after, before, test } from 'node:test'
import { GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { apply, compareKeys, linesSource, plan, readPlan, restore, type KeyEntry, type KeySource } from '@keydiff/core'
import { awkwardKeys } from '@keydiff/core/conformance'
import { s3DeleteSink, s3InventorySource, s3Lock, s3QuarantineSink, s3Source, s3TagSink } from '@keydiff/s3'
import { startS3rver, uniqueBucket, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
let work: string

before(async () => {
  server = await startS3rver({ maxAttempts: 1 })
  work = await mkdtemp(join(tmpdir(), 'keydiff-s3-sweep-'))
})

after(async () => {
  await server?.stop()
  if (work !== undefined) await rm(work, { recursive: true, force: true })
})

// Awkward keys that s3rver can hold and act on (see s3-sinks.test.ts for its gaps), half referenced.
const AWKWARD = awkwardKeys({ maxKeyBytes: 240, emptySegments: false }).filter(key => key.trim() === key && !/[#$&+,:;=?@]/.test(key) && !key.startsWith('x'))
const REFERENCED = [...Array.from({ length: 40 }, (_, i) => `blobs/${String(i).padStart(3, '0')}`), ...AWKWARD.filter((_, i) => i % 2 === 0)]
const ORPHANS = [...Array.from({ length: 25 }, (_, i) => `blobs/9${String(i).padStart(2, '0')}-orphan`), ...AWKWARD.filter((_, i) => i % 2 === 1)]

let counter = 0
async function scenario (): Promise<{ client: S3Client, bucket: string, references: string, planFile: string }> {
  const client = server.client()
  const bucket = await server.createBucket([...REFERENCED, ...ORPHANS].map((key, i) => ({ key, size: 10 + i })))
  const references = join(work, `refs-${++counter}.txt`)
  await writeFile(references, REFERENCED.join('\n') + '\n')
  return { client, bucket, references, planFile: join(work, `plan-${counter}.jsonl`) }
}

async function makePlan (candidates: KeySource, references: string, out: string): Promise<string[]> {
  // s3rver's LastModified has whole seconds, taken at the write: zero grace is safe here because the reference scan starts later.
  // a listing names its bucket (s3://bucket/), which the plan binds; an inventory names its manifest, and its plans are only compared
  const store = candidates.name.startsWith('s3://') ? { store: candidates.name } : {}
  const summary = await plan({ candidates, references: linesSource(references), out, ...store, grace: 0, acknowledgeZeroGrace: true, protect: ['.keydiff-trash/**'] })
  assert.equal(summary.header.counts.planned, ORPHANS.length)
  const planned: string[] = []
  for await (const batch of (await readPlan(out)).batches()) planned.push(...batch.map(entry => entry.key))
  return planned.sort(compareKeys)
}

test('sweep with delete: listing + reference file -> plan -> apply under the bucket lock; awkward keys survive', async () => {
  const { client, bucket, references, planFile } = await scenario()
  try {
    const planned = await makePlan(s3Source({ client, bucket, concurrency: 3 }), references, planFile)
    assert.deepEqual(planned, [...ORPHANS].sort(compareKeys))
    const result = await apply(planFile, s3DeleteSink({ client, bucket }), { lock: s3Lock({ client, bucket }) })
    assert.equal(result.done, ORPHANS.length)
    assert.equal(result.failed, 0)
    assert.deepEqual((await server.listKeys(bucket)).sort(compareKeys), [...REFERENCED].sort(compareKeys))
    const again = await apply(planFile, s3DeleteSink({ client, bucket }), { lock: s3Lock({ client, bucket }) })
    assert.equal(again.done, 0)
    assert.equal(again.skipped, ORPHANS.length)
  } finally {
    await server.removeBucket(bucket)
  }
})

test('sweep with quarantine, then restore', async () => {
  const { client, bucket, references, planFile } = await scenario()
  try {
    await makePlan(s3Source({ client, bucket }), references, planFile)
    const sink = s3QuarantineSink({ client, bucket })
    const result = await apply(planFile, sink, { lock: s3Lock({ client, bucket }) })
    assert.equal(result.done, ORPHANS.length)
    const after = await server.listKeys(bucket)
    assert.deepEqual(after.filter(key => !key.startsWith('.keydiff-trash/')).sort(compareKeys), [...REFERENCED].sort(compareKeys))
    assert.deepEqual(after.filter(key => key.startsWith('.keydiff-trash/')).map(key => key.slice(15)).sort(compareKeys), [...ORPHANS].sort(compareKeys))
    // The next plan over the bucket leaves the trash alone: it is protected.
    const next = await plan({ candidates: s3Source({ client, bucket }), references: linesSource(references), out: `${planFile}.2`, grace: 0, acknowledgeZeroGrace: true, protect: ['.keydiff-trash/**'] })
    assert.equal(next.header.counts.planned, 0)
    assert.equal(next.header.counts.protected, ORPHANS.length)
    await restore(planFile, sink, { lock: s3Lock({ client, bucket }) })
    assert.deepEqual((await server.listKeys(bucket)).sort(compareKeys), [...REFERENCED, ...ORPHANS].sort(compareKeys))
  } finally {
    await server.removeBucket(bucket)
  }
})

test('sweep with tags for a lifecycle rule, then undo', async () => {
  const { client, bucket, references, planFile } = await scenario()
  const tagged = async (key: string): Promise<boolean> => ((await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))).TagSet ?? []).length > 0
  try {
    await makePlan(s3Source({ client, bucket }), references, planFile)
    const sink = s3TagSink({ client, bucket })
    assert.equal((await apply(planFile, sink, { lock: s3Lock({ client, bucket }) })).done, ORPHANS.length)
    for (const key of ORPHANS) assert.equal(await tagged(key), true, key)
    for (const key of REFERENCED) assert.equal(await tagged(key), false, key)
    await restore(planFile, sink, { lock: s3Lock({ client, bucket }) })
    for (const key of ORPHANS) assert.equal(await tagged(key), false, key)
  } finally {
    await server.removeBucket(bucket)
  }
})

test('a held lock object blocks a second sweep; nothing is deleted', async () => {
  const { client, bucket, references, planFile } = await scenario()
  try {
    await makePlan(s3Source({ client, bucket }), references, planFile)
    const first = await s3Lock({ client, bucket }).acquire({ owner: 'first-sweep' })
    await assert.rejects(apply(planFile, s3DeleteSink({ client, bucket }), { lock: s3Lock({ client, bucket }) }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_LOCK_HELD')
      assert.match(error.message, /first-sweep/)
      return true
    })
    for (const key of ORPHANS) assert.equal(await server.exists(bucket, key), true)
    await first.release()
    assert.equal((await apply(planFile, s3DeleteSink({ client, bucket }), { lock: s3Lock({ client, bucket }) })).done, ORPHANS.length)
  } finally {
    await server.removeBucket(bucket)
  }
})

/** Writes an S3 Inventory report of the bucket's objects: CSV.gz data files and a manifest, as S3 lays them out. */
async function writeInventory (client: S3Client, source: string, put: (key: string, body: Buffer) => Promise<void>, options: { corrupt?: 'truncate' | 'replace' } = {}): Promise<string> {
  const entries: KeyEntry[] = []
  for await (const batch of s3Source({ client, bucket: source })) entries.push(...batch)
  const encode = (key: string): string => encodeURIComponent(key).replaceAll('%20', '+')
  const csv = (rows: typeof entries): Buffer => gzipSync(rows.map(entry => [source, encode(entry.key), String(entry.size), entry.lastModified?.toISOString() ?? '', entry.version ?? ''].map(field => `"${field}"`).join(',') + '\n').join(''))
  // Reverse order and two files: a report promises no order.
  const reversed = [...entries].reverse()
  const files = [csv(reversed.slice(0, 30)), csv(reversed.slice(30))]
  const base = `${source}/daily`
  const listed = []
  for (const [i, body] of files.entries()) {
    const key = `${base}/data/file-${i}.csv.gz`
    const sent = i === 1 && options.corrupt === 'truncate' ? body.subarray(0, body.length - 4) : i === 1 && options.corrupt === 'replace' ? csv(reversed.slice(31)) : body
    await put(key, sent)
    listed.push({ key, size: body.length, MD5checksum: createHash('md5').update(body).digest('hex') })
  }
  const manifestKey = `${base}/2026-01-01T00-00Z/manifest.json`
  await put(manifestKey, Buffer.from(JSON.stringify({
    sourceBucket: source,
    destinationBucket: 'arn:aws:s3:::inventory-dest',
    version: '2016-11-30',
    creationTimestamp: String(Date.now()),
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag',
    files: listed
  })))
  return manifestKey
}

test('an inventory report (manifest + CSV.gz; local, in a bucket, or behind a URL) gives the same orphans as the listing', async () => {
  const { client, bucket, references, planFile } = await scenario()
  const dest = await server.createBucket([], { bucket: 'inventory-dest' })
  const local = join(work, 'inventory')
  try {
    const fromListing = await makePlan(s3Source({ client, bucket }), references, planFile)
    const manifestKey = await writeInventory(client, bucket, async (key, body) => {
      await mkdir(join(local, key, '..'), { recursive: true })
      await writeFile(join(local, key), body)
      await client.send(new PutObjectCommand({ Bucket: dest, Key: key, Body: body }))
    })
    const fromLocal = await makePlan(s3InventorySource({ manifest: join(local, manifestKey) }), references, `${planFile}.local`)
    assert.deepEqual(fromLocal, fromListing)
    const fromBucket = await makePlan(s3InventorySource({ manifest: `s3://${dest}/${manifestKey}`, client }), references, `${planFile}.bucket`)
    assert.deepEqual(fromBucket, fromListing)
    // s3rver serves objects to unsigned GETs, which stands in for a presigned manifest URL.
    const fromUrl = await makePlan(s3InventorySource({ manifest: `${server.endpoint}/${dest}/${manifestKey}`, client }), references, `${planFile}.url`)
    assert.deepEqual(fromUrl, fromListing)
    const sizes = new Map<string, number | undefined>()
    for await (const batch of s3InventorySource({ manifest: join(local, manifestKey) })) for (const entry of batch) sizes.set(entry.key, entry.size)
    for await (const batch of s3Source({ client, bucket })) for (const entry of batch) assert.equal(sizes.get(entry.key), entry.size, entry.key)
  } finally {
    await server.removeBucket(bucket)
    await server.removeBucket(dest)
  }
})

test('an inventory file that differs from its manifest checksum fails the plan; a missing manifest is named', async () => {
  const { client, bucket, references, planFile } = await scenario()
  try {
    for (const corrupt of ['truncate', 'replace'] as const) {
      const local = join(work, `inventory-${corrupt}-${uniqueBucket()}`)
      const manifestKey = await writeInventory(client, bucket, async (key, body) => {
        await mkdir(join(local, key, '..'), { recursive: true })
        await writeFile(join(local, key), body)
      }, { corrupt })
      await assert.rejects(plan({ candidates: s3InventorySource({ manifest: join(local, manifestKey) }), references: linesSource(references), out: planFile, grace: 0, acknowledgeZeroGrace: true }), { code: 'KEYDIFF_SOURCE_FAILED' })
    }
    await assert.rejects(plan({ candidates: s3InventorySource({ manifest: join(work, 'nope.json') }), references: linesSource(references), out: planFile, grace: 0, acknowledgeZeroGrace: true }), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
  } finally {
    await server.removeBucket(bucket)
  }
})
