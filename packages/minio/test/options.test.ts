import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Client } from 'minio'
import { SinkError, type KeyEntry, type KeySource, type Sink } from '@keydiff/core'
import { minioDeleteSink, minioSource, minioTagSink } from '@keydiff/minio'

// The option vocabulary's checks, made when a factory is called and before any request: the
// client points at a closed port, so a request would fail.
const client = new Client({ endPoint: '127.0.0.1', port: 9, useSSL: false, accessKey: 'a', secretKey: 'b', region: 'us-east-1' })

type Factory = (options: Record<string, unknown>) => KeySource | Sink
const factories: Array<[string, Factory]> = [
  ['minioSource', options => minioSource(options as never)],
  ['minioDeleteSink', options => minioDeleteSink(options as never)],
  ['minioTagSink', options => minioTagSink(options as never)]
]

/** What an InvalidOptionError naming `option` matches. */
const invalidOption = (option: string): object => ({ name: 'InvalidOptionError', code: 'KEYDIFF_INVALID_OPTION', option })

for (const [factory, make] of factories) {
  test(`${factory}: a missing client or bucket is a TypeError naming the adapter and the option; an unusable value an InvalidOptionError`, () => {
    assert.throws(() => make({ bucket: 'b' }), new TypeError(`@keydiff/minio ${factory}: option client is required`))
    assert.throws(() => make({ client }), new TypeError(`@keydiff/minio ${factory}: option bucket is required`))
    assert.throws(() => make({ client, bucket: '' }), invalidOption('bucket'))
    assert.throws(() => make({ client: {}, bucket: 'b' }), invalidOption('client'))
    assert.throws(() => make({ client, bucket: 'b', retries: -1 }), invalidOption('retries'))
    assert.throws(() => make({ client, bucket: 'b', maxRetryDelay: 0 }), invalidOption('maxRetryDelay'))
    // retryDelayMs, the deprecated spelling, is read as retryDelay.
    assert.throws(() => make({ client, bucket: 'b', retryDelayMs: -1 }), invalidOption('retryDelay'))
    assert.throws(() => make({ client, bucket: 'b', retryDelay: 5, retryDelayMs: 6 }), invalidOption('retryDelay'))
  })
}

test('minioSource: pageSize and estimatedCount are checked; estimatedCount, name and sorted reach the source', () => {
  assert.throws(() => minioSource({ client, bucket: 'b', pageSize: 1001 }), invalidOption('pageSize'))
  assert.throws(() => minioSource({ client, bucket: 'b', estimatedCount: 0.5 }), invalidOption('estimatedCount'))
  const source = minioSource({ client, bucket: 'b', estimatedCount: 9, name: 'blobs', sorted: false })
  assert.deepEqual([source.name, source.estimatedCount, source.sorted], ['blobs', 9, false])
})

test('the sinks check concurrency, and refuse a batch over their maxBatch with an InvalidOptionError before any request', async () => {
  const batch: KeyEntry[] = Array.from({ length: 1001 }, (_, i) => ({ key: `k${i}`, size: 1 }))
  for (const [, make] of factories.slice(1)) {
    assert.throws(() => make({ client, bucket: 'b', concurrency: 0 }), invalidOption('concurrency'))
    await assert.rejects((make({ client, bucket: 'b' }) as Sink).apply(batch), invalidOption('batch'))
  }
  // A failed request of a whole batch is core's SinkError, as in every adapter.
  await assert.rejects(minioDeleteSink({ client, bucket: 'b', retries: 0, checkUnchanged: false }).apply([{ key: 'a' }]), (error: unknown) => error instanceof SinkError && error.adapter === 'minio')
})
