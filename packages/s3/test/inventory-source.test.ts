import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, before, test } from 'node:test'
import type { KeyEntry } from '@keydiff/core'
import { keySourceSuite } from '@keydiff/core/conformance'
import { s3InventorySource } from '@keydiff/s3'

let work: string
before(async () => { work = await mkdtemp(join(tmpdir(), 'keydiff-inventory-')) })
after(async () => { await rm(work, { recursive: true, force: true }) })

/** A local inventory report (manifest + one CSV.gz) with the given creationTimestamp, as S3 lays it out. */
async function report (name: string, creationTimestamp: string | undefined): Promise<string> {
  const root = join(work, name)
  const csv = gzipSync(Buffer.from('"src","a%2Fb","3","2026-01-01T00:00:00.000Z","etag1"\n"src","c","4","2026-01-02T00:00:00.000Z","etag2"\n'))
  await mkdir(join(root, 'data'), { recursive: true })
  await writeFile(join(root, 'data', 'part-0.csv.gz'), csv)
  const manifest = join(root, 'manifest.json')
  await writeFile(manifest, JSON.stringify({
    sourceBucket: 'src',
    destinationBucket: 'arn:aws:s3:::dest',
    fileFormat: 'CSV',
    fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag',
    files: [{ key: 'data/part-0.csv.gz', size: csv.length, MD5checksum: createHash('md5').update(csv).digest('hex') }],
    ...(creationTimestamp === undefined ? {} : { creationTimestamp })
  }))
  return manifest
}

async function drain (source: AsyncIterable<readonly KeyEntry[]>): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = []
  for await (const batch of source) entries.push(...batch)
  return entries
}

test("an inventory's scan time is its manifest's creation time, with the basis 'inventory created'", async () => {
  const created = Date.parse('2026-03-01T12:00:00.000Z')
  const source = s3InventorySource({ manifest: await report('created', String(created)) })
  assert.equal(source.scanBasis, undefined, 'known once the read begins')
  const entries = await drain(source)
  assert.deepEqual(entries.map(entry => [entry.key, entry.size, entry.version]), [['a/b', 3, 'etag1'], ['c', 4, 'etag2']])
  assert.equal(source.scanStartedAt?.toISOString(), '2026-03-01T12:00:00.000Z')
  assert.equal(source.scanBasis, 'inventory created')
})

test('a manifest without a creation time (or one in the future) leaves the scan time at the start of the read', async () => {
  for (const [name, timestamp] of [['none', undefined], ['future', String(Date.now() + 3_600_000)]] as const) {
    const before = Date.now()
    const source = s3InventorySource({ manifest: await report(name, timestamp) })
    await drain(source)
    assert.equal(source.scanBasis, 'read started', name)
    const started = source.scanStartedAt?.getTime() ?? 0
    assert.ok(started >= before && started <= Date.now(), name)
  }
})

let inventories = 0

/**
 * An inventory report of exactly `entries`, as S3 writes one: keys URL-encoded, in data files
 * of 1,000 rows. With `failAfter`, the manifest's checksum of a later file is wrong: the read
 * fails once it reaches that file, as it does on a file cut short.
 */
async function inventoryOf (entries: readonly KeyEntry[], failAfter: number | undefined): Promise<string> {
  const root = join(work, `suite-${++inventories}`)
  await mkdir(join(root, 'data'), { recursive: true })
  const files: Array<{ key: string, size: number, MD5checksum: string }> = []
  for (let start = 0, part = 0; start < entries.length || part === 0; start += 1000, part++) {
    const rows = entries.slice(start, start + 1000).map((entry, i) => `"src","${encodeURIComponent(entry.key)}","${entry.size ?? 0}","2026-01-01T00:00:00.000Z","etag-${start + i}"\n`)
    const csv = gzipSync(Buffer.from(rows.join('')))
    const key = `data/part-${part}.csv.gz`
    await writeFile(join(root, key), csv)
    const broken = failAfter !== undefined && start >= failAfter
    files.push({ key, size: csv.length, MD5checksum: broken ? '0'.repeat(32) : createHash('md5').update(csv).digest('hex') })
  }
  const manifest = join(root, 'manifest.json')
  await writeFile(manifest, JSON.stringify({ sourceBucket: 'src', destinationBucket: 'arn:aws:s3:::dest', fileFormat: 'CSV', fileSchema: 'Bucket, Key, Size, LastModifiedDate, ETag', files }))
  return manifest
}

keySourceSuite({
  test,
  name: 's3InventorySource',
  supports: { failure: true },
  factory: async (entries, { failAfter }) => ({ subject: s3InventorySource({ manifest: await inventoryOf(entries, failAfter) }) })
})
