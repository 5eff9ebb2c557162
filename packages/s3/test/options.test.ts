import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { S3Client } from '@aws-sdk/client-s3'
import { KeydiffError, SinkError, type KeyEntry, type KeySource, type Sink } from '@keydiff/core'
import { S3SinkError, s3DeleteSink, s3InventorySource, s3QuarantineSink, s3Source, s3TagSink } from '@keydiff/s3'

// The option vocabulary's checks, made when a factory is called and before any request: a
// client pointed at a closed port shows that nothing is sent (a request would fail otherwise).
const client = new S3Client({ endpoint: 'http://127.0.0.1:9', region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 })
after(() => { client.destroy() })

type Factory = (options: Record<string, unknown>) => KeySource | Sink
const factories: Array<[string, Factory]> = [
  ['s3Source', options => s3Source(options as never)],
  ['s3DeleteSink', options => s3DeleteSink(options as never)],
  ['s3QuarantineSink', options => s3QuarantineSink(options as never)],
  ['s3TagSink', options => s3TagSink(options as never)]
]

/** What an InvalidOptionError naming `option` matches. */
const invalidOption = (option: string): object => ({ name: 'InvalidOptionError', code: 'KEYDIFF_INVALID_OPTION', option })

for (const [factory, make] of factories) {
  test(`${factory}: a missing client or bucket is a TypeError naming the adapter, the factory and the option`, () => {
    assert.throws(() => make({ bucket: 'b' }), new TypeError(`@keydiff/s3 ${factory}: option client is required`))
    assert.throws(() => make({ client }), new TypeError(`@keydiff/s3 ${factory}: option bucket is required`))
    assert.throws(() => make(undefined as never), new TypeError(`@keydiff/s3 ${factory}: options are required`))
  })

  test(`${factory}: a value that cannot be used is an InvalidOptionError naming the option`, () => {
    assert.throws(() => make({ client, bucket: '' }), invalidOption('bucket'))
    assert.throws(() => make({ client: {}, bucket: 'b' }), invalidOption('client'))
    assert.throws(() => make({ client, bucket: 'b', concurrency: 0 }), invalidOption('concurrency'))
    assert.throws(() => make({ client, bucket: 'b', retries: -1 }), invalidOption('retries'))
    assert.throws(() => make({ client, bucket: 'b', retryDelay: 1.5 }), invalidOption('retryDelay'))
    assert.throws(() => make({ client, bucket: 'b', maxRetryDelay: 0 }), invalidOption('maxRetryDelay'))
  })

  test(`${factory}: retryDelayMs is read as its deprecated alias of retryDelay; the two given apart are refused`, () => {
    assert.throws(() => make({ client, bucket: 'b', retryDelayMs: -1 }), invalidOption('retryDelay'))
    assert.doesNotThrow(() => make({ client, bucket: 'b', retryDelay: 5, retryDelayMs: 5 }))
    assert.throws(() => make({ client, bucket: 'b', retryDelay: 5, retryDelayMs: 6 }), invalidOption('retryDelay'))
  })
}

test('s3Source: readAhead, pageSize and estimatedCount are checked; estimatedCount, name and sorted reach the source', () => {
  assert.throws(() => s3Source({ client, bucket: 'b', readAhead: 0 }), invalidOption('readAhead'))
  assert.throws(() => s3Source({ client, bucket: 'b', pageSize: 5000 }), invalidOption('pageSize'))
  assert.throws(() => s3Source({ client, bucket: 'b', estimatedCount: -1 }), invalidOption('estimatedCount'))
  const source = s3Source({ client, bucket: 'b', prefix: 'p/', estimatedCount: 42, name: 'blobs', sorted: false })
  assert.deepEqual([source.name, source.estimatedCount, source.sorted], ['blobs', 42, false])
  assert.equal(s3Source({ client, bucket: 'b', prefix: 'p/' }).name, 's3://b/p/')
})

test('s3InventorySource: the manifest is required, and the client for a manifest in S3', () => {
  assert.throws(() => s3InventorySource({} as never), new TypeError('@keydiff/s3 s3InventorySource: option manifest is required'))
  assert.throws(() => s3InventorySource({ manifest: 's3://inventory/manifest.json' }), new TypeError('@keydiff/s3 s3InventorySource: option client is required'))
  assert.throws(() => s3InventorySource({ manifest: 's3://no-key', client }), invalidOption('manifest'))
  assert.equal(s3InventorySource({ manifest: '/data/manifest.json', estimatedCount: 7 }).estimatedCount, 7)
})

test('every sink refuses a batch over its maxBatch with an before any request', async () => {
  const batch: KeyEntry[] = Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, size: 1 }))
  for (const [, make] of factories.slice(1)) {
    const sink = make({ client, bucket: 'b' }) as Sink
    assert.equal(sink.maxBatch, 1000)
    await assert.rejects(sink.apply(batch), invalidOption('batch'))
  }
})

test('S3SinkError is a deprecated alias of core\'s SinkError, which the sinks throw', () => {
  assert.equal(S3SinkError, SinkError)
  const error = new SinkError('DeleteObjects failed', { adapter: 's3', target: 'delete:s3://b/' })
  assert.ok(error instanceof S3SinkError)
  assert.ok(error instanceof KeydiffError)
  assert.equal(error.code, 'KEYDIFF_SINK_FAILED')
})
