import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import { ConnectionError, SinkError, type KeySource, type Lock, type RestorableSink, type Sink } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import * as gcs from '../src/index.ts'

// Compile-time checks of the public factories' shapes; `tsc -p tsconfig.json` runs them.
const client = new Storage({ apiEndpoint: 'http://127.0.0.1:9', projectId: 'types' })

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

test('public factories have the contract types, and required options are required', () => {
  const source: KeySource = gcs.gcsSource({ client, bucket: 'b' })
  const sinks: Sink[] = [gcs.gcsDeleteSink({ client, bucket: 'b', jsonBatch: true })]
  const restorable: RestorableSink[] = [
    gcs.gcsQuarantineSink({ client, bucket: 'b', trashPrefix: 't/' }),
    gcs.gcsReleaseHoldSink({ client, bucket: 'b', setCustomTime: true }),
    gcs.gcsCustomTimeSink({ client, bucket: 'b', now: () => new Date(0) })
  ]
  const lock: Lock = gcs.gcsLock({ client, bucket: 'b' })
  // `storage`, the old name, is accepted for one release (deprecated)
  expectTypeOf(gcs.gcsLock({ storage: client, bucket: 'b' })).toEqualTypeOf<Lock>()
  // @ts-expect-error the bucket is required
  assert.throws(() => gcs.gcsSource({ client }))
  // @ts-expect-error the mode must be 'hold' or 'customTime'
  assert.throws(() => gcs.softDeleteLifecycleRule({ mode: 'tag', days: 1 }))
  assert.equal(source.sorted, true)
  assert.deepEqual(sinks.map(sink => sink.action), ['delete'])
  assert.deepEqual(restorable.map(sink => sink.action), ['quarantine', 'release-hold', 'custom-time'])
  assert.equal(lock.target, 'gs://b/.keydiff/lock')

  expectTypeOf<RequiredKeys<gcs.GcsSourceOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<gcs.GcsSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<gcs.GcsDeleteSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<gcs.GcsQuarantineSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<gcs.HoldMigrationOptions>>().toEqualTypeOf<'client' | 'bucket' | 'references'>()
  expectTypeOf<RequiredKeys<gcs.ApplySoftDeleteLifecycleOptions>>().toEqualTypeOf<'client' | 'bucket' | 'mode' | 'days'>()
  expectTypeOf<gcs.GcsSourceOptions['client']>().toEqualTypeOf<Storage>()
})

test('the options speak the shared vocabulary; storage and prefetchPages stay as deprecated aliases', () => {
  expectTypeOf<Pick<gcs.GcsSourceOptions, 'name' | 'sorted' | 'estimatedCount' | 'readAhead' | 'prefix' | 'concurrency' | 'retries' | 'retryDelay' | 'maxRetryDelay' | 'signal'>>()
    .toEqualTypeOf<{ name?: string, sorted?: boolean, estimatedCount?: number, readAhead?: number, prefix?: string, concurrency?: number, retries?: number, retryDelay?: number, maxRetryDelay?: number, signal?: AbortSignal }>()
  expectTypeOf<gcs.GcsSourceOptions['prefetchPages']>().toEqualTypeOf<number | undefined>()
  // The client's old name: accepted by every factory, for one release.
  expectTypeOf(gcs.gcsSource).toBeCallableWith({ storage: client, bucket: 'b' })
  expectTypeOf(gcs.gcsDeleteSink).toBeCallableWith({ storage: client, bucket: 'b', jsonBatch: true })
  expectTypeOf(gcs.gcsQuarantineSink).toBeCallableWith({ storage: client, bucket: 'b', trashPrefix: 't/' })
  expectTypeOf(gcs.gcsReleaseHoldSink).toBeCallableWith({ storage: client, bucket: 'b' })
  expectTypeOf(gcs.gcsCustomTimeSink).toBeCallableWith({ storage: client, bucket: 'b' })
  expectTypeOf(gcs.migrateToHolds).toBeCallableWith({ storage: client, bucket: 'b', references: {} as KeySource })
  expectTypeOf(gcs.applySoftDeleteLifecycle).toBeCallableWith({ storage: client, bucket: 'b', mode: 'customTime', days: 3 })
  expectTypeOf<gcs.LegacyStorageOptions<gcs.GcsSourceOptions>['storage']>().toEqualTypeOf<Storage>()
  // @ts-expect-error one of the two is needed
  expectTypeOf(gcs.gcsDeleteSink).toBeCallableWith({ bucket: 'b' })
  // The twins are core's classes under their old names.
  expectTypeOf(gcs.GcsSinkError).toEqualTypeOf<typeof SinkError>()
  expectTypeOf(gcs.GcsConnectionError).toEqualTypeOf<typeof ConnectionError>()
})
