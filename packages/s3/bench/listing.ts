/**
 * Listing throughput against s3rver: sequential vs parallel ListObjectsV2 over a bucket of
 * `--keys N` objects (default 200,000) shaped like `blobs/ab/cd/<40 hex>`, and the engine's
 * share of a listing run (listing alone vs listing + diff against sorted references).
 * s3rver is single-threaded and far slower than S3; the figures compare strategies, they
 * do not predict S3's throughput.
 */
import { createHash } from 'node:crypto'
import { arraySource, diff, type KeyEntry, type KeySource } from '@keydiff/core'
import { s3Source } from '@keydiff/s3'
import { startS3rver } from '@keydiff/s3/testing'

const keysArg = process.argv.indexOf('--keys')
const count = keysArg === -1 ? 200_000 : Number(process.argv[keysArg + 1])
if (!Number.isInteger(count) || count < 1) throw new TypeError('--keys must be a positive integer')

const keys: string[] = []
for (let i = 0; i < count; i++) keys.push(`blobs/${createHash('sha1').update(String(i)).digest('hex').replace(/^(..)(..)/, '$1/$2/$1$2')}`)
keys.sort()

const server = await startS3rver()
try {
  const client = server.client()
  const seedStart = performance.now()
  await server.createBucket(keys.map(key => ({ key })), { bucket: 'bench' })
  console.log(`seeded ${count} objects in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`)

  const hex = '0123456789abcdef'
  const splitPoints = [...hex.slice(1)].map(ch => `blobs/${ch}`)
  const runs: Array<[string, () => KeySource]> = [
    ['sequential (1 request at a time)', () => s3Source({ client, bucket: 'bench', concurrency: 1 })],
    ['parallel, 4 ranges at a time (15 split points)', () => s3Source({ client, bucket: 'bench', concurrency: 4, splitPoints })],
    ['parallel, 8 ranges at a time (15 split points)', () => s3Source({ client, bucket: 'bench', concurrency: 8, splitPoints })]
  ]
  const time = async (source: KeySource): Promise<[number, number]> => {
    const start = performance.now()
    let n = 0
    for await (const batch of source) n += batch.length
    return [n, performance.now() - start]
  }
  console.log('\nlisting throughput (s3rver, 1000 keys a page)')
  for (const [label, make] of runs) {
    const [n, ms] = await time(make())
    if (n !== count) throw new Error(`${label} listed ${n} keys, expected ${count}`)
    console.log(`  ${label.padEnd(48)} ${(ms / 1000).toFixed(2).padStart(7)} s ${Math.round(n / ms * 1000).toLocaleString('en').padStart(10)} keys/s`)
  }

  const references = keys.filter((_, i) => i % 10 !== 0)
  const engine = async (candidates: KeySource): Promise<number> => {
    const start = performance.now()
    let orphans = 0
    for await (const part of diff({ candidates, references: arraySource(references, { sorted: true }) })) orphans += part.entries.length
    if (orphans !== count - references.length) throw new Error(`expected ${count - references.length} orphans, got ${orphans}`)
    return performance.now() - start
  }
  const [, listOnly] = await time(s3Source({ client, bucket: 'bench', concurrency: 4, splitPoints }))
  const withDiff = await engine(s3Source({ client, bucket: 'bench', concurrency: 4, splitPoints }))
  const entries: KeyEntry[] = keys.map(key => ({ key, size: 1, lastModified: new Date() }))
  const engineOnly = await engine(arraySource(entries, { sorted: true }))
  console.log('\nengine cost per listed key (merge strategy, 10% orphans)')
  console.log(`  listing alone                  ${(listOnly / 1000).toFixed(2)} s`)
  console.log(`  listing + diff                 ${(withDiff / 1000).toFixed(2)} s`)
  console.log(`  diff alone, same keys in memory ${(engineOnly / 1000).toFixed(3)} s = ${(engineOnly * 1e6 / count).toFixed(0)} ns/key, ${(100 * engineOnly / listOnly).toFixed(2)}% of the listing`)
} finally {
  await server.stop()
}
