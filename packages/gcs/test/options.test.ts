import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import { ConnectionError, SinkError, type KeyEntry, type KeySource, type Sink } from '@keydiff/core'
import { GcsConnectionError, GcsSinkError, applySoftDeleteLifecycle, gcsCustomTimeSink, gcsDeleteSink, gcsQuarantineSink, gcsReleaseHoldSink, gcsSource, migrateToHolds } from '../src/index.ts'
import { fillBucket, startContext, type TestContext } from './helpers.ts'

// The option vocabulary's checks, made when a factory is called and before any request (the
// client points at a closed port); `storage`, the client's old name, still works.
const client = new Storage({ apiEndpoint: 'http://127.0.0.1:9', projectId: 'options', retryOptions: { autoRetry: false } })
let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

type Factory = (options: Record<string, unknown>) => KeySource | Sink
const factories: Array<[string, Factory]> = [
  ['gcsSource', options => gcsSource(options as never)],
  ['gcsDeleteSink', options => gcsDeleteSink(options as never)],
  ['gcsQuarantineSink', options => gcsQuarantineSink(options as never)],
  ['gcsReleaseHoldSink', options => gcsReleaseHoldSink(options as never)],
  ['gcsCustomTimeSink', options => gcsCustomTimeSink(options as never)]
]

/** What an InvalidOptionError naming `option` matches. */
const invalidOption = (option: string): object => ({ name: 'InvalidOptionError', code: 'KEYDIFF_INVALID_OPTION', option })

for (const [factory, make] of factories) {
  test(`${factory}: a missing client or bucket is a TypeError naming the adapter and the option; an unusable value an InvalidOptionError`, () => {
    assert.throws(() => make({ bucket: 'b' }), new TypeError(`@keydiff/gcs ${factory}: option client is required`))
    assert.throws(() => make({ client }), new TypeError(`@keydiff/gcs ${factory}: option bucket is required`))
    assert.throws(() => make(undefined as never), new TypeError(`@keydiff/gcs ${factory}: options are required`))
    assert.throws(() => make({ client, bucket: '' }), invalidOption('bucket'))
    assert.throws(() => make({ client: {}, bucket: 'b' }), invalidOption('client'))
    assert.throws(() => make({ client, bucket: 'b', concurrency: 0 }), invalidOption('concurrency'))
    assert.throws(() => make({ client, storage: new Storage({ projectId: 'other' }), bucket: 'b' }), invalidOption('client'))
  })
}

test('storage, the deprecated name of client, lists and acts like it', async () => {
  const bucket = fillBucket(context, ['a', 'b'].map(key => ({ key })))
  const keys: string[] = []
  for await (const batch of gcsSource({ storage: context.storage, bucket })) keys.push(...batch.map(entry => entry.key))
  assert.deepEqual(keys, ['a', 'b'])
  const outcomes = await gcsDeleteSink({ storage: context.storage, bucket }).apply([{ key: 'a' }])
  assert.deepEqual(outcomes, [{ key: 'a', ok: true }])
  assert.equal(context.server.store.bucket(bucket).objects.has('a'), false)
  const report = await migrateToHolds({ storage: context.storage, bucket, references: [[{ key: 'b' }]] })
  assert.equal(report.held, 1)
  assert.equal((await applySoftDeleteLifecycle({ storage: context.storage, bucket, mode: 'customTime', days: 3 })).added, true)
})

test('gcsSource: readAhead (prefetchPages its deprecated alias), retries, retryDelay, maxRetryDelay and estimatedCount are checked; name, sorted and estimatedCount reach the source', () => {
  assert.throws(() => gcsSource({ client, bucket: 'b', readAhead: 0 }), invalidOption('readAhead'))
  assert.throws(() => gcsSource({ client, bucket: 'b', prefetchPages: 0 }), invalidOption('readAhead'))
  assert.throws(() => gcsSource({ client, bucket: 'b', readAhead: 2, prefetchPages: 3 }), invalidOption('readAhead'))
  assert.throws(() => gcsSource({ client, bucket: 'b', retries: -1 }), invalidOption('retries'))
  assert.throws(() => gcsSource({ client, bucket: 'b', retryDelay: -1 }), invalidOption('retryDelay'))
  assert.throws(() => gcsSource({ client, bucket: 'b', maxRetryDelay: 0 }), invalidOption('maxRetryDelay'))
  assert.throws(() => gcsSource({ client, bucket: 'b', estimatedCount: -1 }), invalidOption('estimatedCount'))
  const source = gcsSource({ client, bucket: 'b', prefix: 'p/', name: 'blobs', sorted: false, estimatedCount: 5 })
  assert.deepEqual([source.name, source.sorted, source.estimatedCount], ['blobs', false, 5])
  assert.equal(gcsSource({ client, bucket: 'b', prefix: 'p/' }).name, 'gs://b/p/')
})

test('the sinks refuse a batch over their maxBatch with an before any request', async () => {
  const batch: KeyEntry[] = Array.from({ length: 11 }, (_, i) => ({ key: `k${i}` }))
  for (const [, make] of factories.slice(1)) await assert.rejects((make({ client, bucket: 'b', maxBatch: 10 }) as Sink).apply(batch), invalidOption('batch'))
})

test('gcsQuarantineSink refuses an empty trashPrefix in the bucket itself: a copy onto the object would then be deleted with it', () => {
  assert.throws(() => gcsQuarantineSink({ client, bucket: 'b', trashPrefix: '' }), invalidOption('trashPrefix'))
  assert.equal(gcsQuarantineSink({ client, bucket: 'b', trashPrefix: '', trashBucket: 'trash' }).trash, 'gs://trash/')
})

test('GcsSinkError and GcsConnectionError are deprecated aliases of core\'s SinkError and ConnectionError, which the adapter throws', () => {
  assert.equal(GcsSinkError, SinkError)
  assert.equal(GcsConnectionError, ConnectionError)
})
