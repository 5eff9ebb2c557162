import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { compareKeys, type KeySource } from '@keydiff/core'
import fc from 'fast-check'
import { s3Source } from '@keydiff/s3'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { splitByPoints, withinBounds } from '../src/key-space.ts'

let server: S3rverServer
before(async () => { server = await startS3rver() })
after(async () => { await server.stop() })

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

// no key is another's prefix and a folder at once: s3rver, a file store, lists those out of byte order
const KEYS = ['a/1', 'a/2', 'a/3', 'b/1', 'b/2', 'b/10', 'c1', 'c2', 'd/é', 'e/1']

test('s3Source lists exactly the keys in (startAfter, endAt], page by page and split in ranges listed at once', async () => {
  const bucket = await server.createBucket(KEYS.map(key => ({ key })))
  const sorted = [...KEYS].sort(compareKeys)
  const bounds: Array<[string | undefined, string | undefined]> = [[undefined, undefined], ['a/2', undefined], [undefined, 'b/2'], ['a/3', 'c1'], ['a', 'a/9'], ['b/2', 'b/2'], ['z', undefined], ['0', 'c2']]
  for (const [startAfter, endAt] of bounds) {
    const expected = sorted.filter(key => (startAfter === undefined || compareKeys(key, startAfter) > 0) && (endAt === undefined || compareKeys(key, endAt) <= 0))
    for (const variant of [{ concurrency: 1, pageSize: 2 }, { concurrency: 3, splitPoints: ['a/2', 'b/', 'c2'] }, { concurrency: 4 }]) {
      const source = s3Source({ client: server.client(), bucket, ...variant, ...(startAfter === undefined ? {} : { startAfter }), ...(endAt === undefined ? {} : { endAt }) })
      assert.deepEqual(await keysOf(source), expected, `(${String(startAfter)}, ${String(endAt)}] with ${JSON.stringify(variant)}`)
    }
  }
})

test('withinBounds keeps each key of the split ranges exactly when it lies in the bounds', () => {
  const key = fc.string({ unit: fc.constantFrom('a', 'b', '/', 'é', '1'), maxLength: 4 })
  fc.assert(fc.property(fc.array(key, { maxLength: 6 }), fc.option(key, { nil: undefined }), fc.option(key, { nil: undefined }), fc.array(key, { maxLength: 12 }), (points, startAfter, endAt, keys) => {
    const ranges = withinBounds(splitByPoints('', points), { startAfter, endAt })
    const inRange = (k: string, range: { startAfter?: string | undefined, endAt?: string | undefined }): boolean =>
      (range.startAfter === undefined || compareKeys(k, range.startAfter) > 0) && (range.endAt === undefined || compareKeys(k, range.endAt) <= 0)
    for (const k of keys) {
      const holders = ranges.filter(range => inRange(k, range)).length
      assert.equal(holders, inRange(k, { startAfter, endAt }) ? 1 : 0, `key ${JSON.stringify(k)} in ${JSON.stringify(ranges)}`)
    }
  }))
})
