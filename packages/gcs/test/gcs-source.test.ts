import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { compareKeys } from '@keydiff/core'
import { keySourceSuite } from '@keydiff/core/conformance'
import type { KeyEntry, KeydiffError } from '@keydiff/core'
import { gcsSource, hexSplitPoints } from '../src/index.ts'
import { fillBucket, removeBucket, startContext } from './helpers.ts'
import type { TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

async function collect (source: AsyncIterable<readonly KeyEntry[]>): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) out.push(...batch)
  return out
}

/** Fails every listing of `bucket` once `failAfter` objects have been served. */
function failListingAfter (bucket: string, failAfter: number, pageSize: number): void {
  let served = 0
  context.server.fault = request => {
    if (request.operation !== 'objects.list' || request.bucket !== bucket) return undefined
    if (served >= failAfter) return { status: 403, reason: 'forbidden' }
    served += pageSize
    return undefined
  }
}

for (const splitPoints of [[], ['page/0005', 'page/001', 'q']]) {
  keySourceSuite({
    test,
    name: `gcs source (${splitPoints.length + 1} ranges)`,
    supports: { sorted: true, failure: true },
    factory: async (entries, options) => {
      const bucket = fillBucket(context, entries)
      if (options.failAfter !== undefined) failListingAfter(bucket, options.failAfter, 1000)
      return {
        subject: gcsSource({ client: context.storage, bucket, splitPoints, concurrency: 2, retryDelay: 1 }),
        teardown: async () => { context.server.fault = undefined; removeBucket(context, bucket) }
      }
    }
  })
}

test('gcs source: sizes are numbers, generations are versions, only the needed fields are asked for', async () => {
  const bucket = fillBucket(context, [{ key: 'a', size: 5 }, { key: 'b/c', size: 12 }])
  context.server.log.length = 0
  const got = await collect(gcsSource({ client: context.storage, bucket }))
  assert.deepEqual(got.map(entry => [entry.key, entry.size]), [['a', 5], ['b/c', 12]])
  const generation = context.server.store.object(bucket, 'a').generation
  assert.equal(got[0]?.version, generation)
  const list = context.server.log.find(request => request.operation === 'objects.list')
  assert.equal(list?.query.get('fields'), 'items(name,size,updated,timeCreated,generation),nextPageToken')
  removeBucket(context, bucket)
})

test('gcs source: prefix and parallel hex ranges list exactly the prefix, in order', async () => {
  const hex = Array.from({ length: 600 }, (_, i) => `blobs/${(i * 2654435761 % 2 ** 32).toString(16).padStart(8, '0')}`)
  const bucket = fillBucket(context, hex.concat(['blobr', 'blobt', 'blobs']).map(key => ({ key })))
  context.server.log.length = 0
  const source = gcsSource({ client: context.storage, bucket, prefix: 'blobs/', splitPoints: hexSplitPoints('blobs/', 16), concurrency: 3, pageSize: 50 })
  const got = (await collect(source)).map(entry => entry.key)
  assert.deepEqual(got, [...new Set(hex)].sort(compareKeys))
  const ranges = new Set(context.server.log.filter(r => r.operation === 'objects.list').map(r => r.query.get('startOffset')))
  assert.equal(ranges.size, 16)
  assert.ok(source.scanStartedAt instanceof Date)
  removeBucket(context, bucket)
})

test('gcs source: a page that fails with a server error is retried', async () => {
  const bucket = fillBucket(context, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}` })))
  let failures = 2
  context.server.fault = request => request.operation === 'objects.list' && failures-- > 0 ? { status: 503, reason: 'backendError' } : undefined
  const got = await collect(gcsSource({ client: context.storage, bucket, pageSize: 7, retryDelay: 1 }))
  assert.equal(got.length, 30)
  context.server.fault = undefined
  removeBucket(context, bucket)
})

test('gcs source: lasting server errors fail the run after the retries, naming the bucket and page', async () => {
  const bucket = fillBucket(context, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}` })))
  let calls = 0
  context.server.fault = request => {
    if (request.operation !== 'objects.list') return undefined
    return ++calls > 2 ? { status: 503, reason: 'backendError' } : undefined
  }
  let seen = 0
  await assert.rejects(async () => {
    for await (const batch of gcsSource({ client: context.storage, bucket, pageSize: 7, retries: 2, retryDelay: 1 })) seen += batch.length
  }, (error: KeydiffError) => error.code === 'KEYDIFF_SOURCE_FAILED' && error.message.includes(`gs://${bucket}/`) && error.message.includes('page 3'))
  assert.equal(seen, 14)
  assert.equal(calls, 2 + 3)
  context.server.fault = undefined
  removeBucket(context, bucket)
})

test('gcs source: a missing bucket fails with KEYDIFF_SOURCE_NOT_FOUND', async () => {
  await assert.rejects(collect(gcsSource({ client: context.storage, bucket: 'no-such-bucket' })), (error: KeydiffError) => error.code === 'KEYDIFF_SOURCE_NOT_FOUND')
})

test('gcs source: bad options are refused with KEYDIFF_INVALID_OPTION', () => {
  assert.throws(() => gcsSource({ client: context.storage, bucket: 'b', splitPoints: ['b', 'a'] }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
  assert.throws(() => gcsSource({ client: context.storage, bucket: 'b', pageSize: 5000 }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
  assert.throws(() => gcsSource({ client: context.storage, bucket: '' }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
})

test('gcs source: an aborted signal stops the listing with KEYDIFF_ABORTED', async () => {
  const bucket = fillBucket(context, Array.from({ length: 30 }, (_, i) => ({ key: `k${i}` })))
  const controller = new AbortController()
  await assert.rejects(async () => {
    for await (const batch of gcsSource({ client: context.storage, bucket, pageSize: 5, signal: controller.signal })) {
      assert.ok(batch.length > 0)
      controller.abort()
    }
  }, (error: KeydiffError) => error.code === 'KEYDIFF_ABORTED')
  removeBucket(context, bucket)
})
