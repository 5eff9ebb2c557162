import { test } from 'node:test'
import type { S3Client } from '@aws-sdk/client-s3'
import type { KeySource, Lock, RestorableSink, Sink, SinkError } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  S3SinkError, s3DeleteSink, s3InventorySource, s3Lock, s3QuarantineSink, s3Source, s3TagSink,
  type RetrySettings, type S3DeleteSinkOptions, type S3InventorySourceOptions, type S3LockOptions, type S3QuarantineSinkOptions,
  type S3SourceOptions, type S3TagSinkOptions
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and require only the client and bucket', () => {
  expectTypeOf(s3Source).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(s3InventorySource).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(s3DeleteSink).returns.toEqualTypeOf<Sink>()
  expectTypeOf(s3QuarantineSink).returns.toEqualTypeOf<RestorableSink>()
  expectTypeOf(s3TagSink).returns.toEqualTypeOf<RestorableSink>()
  expectTypeOf(s3Lock).returns.toEqualTypeOf<Lock>()

  expectTypeOf<RequiredKeys<S3SourceOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<S3DeleteSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<S3QuarantineSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<S3TagSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<S3LockOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  // An inventory is read from its manifest; the client is needed only for an s3:// manifest.
  expectTypeOf<RequiredKeys<S3InventorySourceOptions>>().toEqualTypeOf<'manifest'>()

  expectTypeOf<S3SourceOptions['client']>().toEqualTypeOf<S3Client>()
  expectTypeOf<S3InventorySourceOptions['client']>().toEqualTypeOf<S3Client | undefined>()
  expectTypeOf<S3SourceOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  expectTypeOf<S3InventorySourceOptions['manifest']>().toEqualTypeOf<string | URL>()
})

/** The retry and concurrency options every S3 factory but the inventory takes, as the vocabulary names them. */
interface Vocabulary { retries?: number, retryDelay?: number, retryDelayMs?: number, maxRetryDelay?: number, concurrency?: number }
type VocabularyOf<T> = Pick<T, keyof Vocabulary & keyof T>

test('the options speak the shared vocabulary; retryDelayMs stays as a deprecated alias of retryDelay', () => {
  expectTypeOf<RetrySettings>().toEqualTypeOf<Omit<Vocabulary, 'concurrency'>>()
  expectTypeOf<VocabularyOf<S3SourceOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<VocabularyOf<S3DeleteSinkOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<VocabularyOf<S3QuarantineSinkOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<VocabularyOf<S3TagSinkOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<Pick<S3SourceOptions, 'name' | 'sorted' | 'estimatedCount' | 'readAhead' | 'prefix' | 'signal'>>()
    .toEqualTypeOf<{ name?: string, sorted?: boolean, estimatedCount?: number, readAhead?: number, prefix?: string, signal?: AbortSignal }>()
  expectTypeOf<Pick<S3InventorySourceOptions, 'name' | 'estimatedCount' | 'prefix' | 'signal'>>()
    .toEqualTypeOf<{ name?: string, estimatedCount?: number, prefix?: string, signal?: AbortSignal }>()
  expectTypeOf(s3Source).toBeCallableWith({ client: {} as S3Client, bucket: 'b', retryDelayMs: 5 })
  // @ts-expect-error the client is `client`, as in every adapter
  expectTypeOf(s3Source).toBeCallableWith({ s3: {} as S3Client, bucket: 'b' })
  // The sinks throw core's SinkError; S3SinkError is that class under its old name.
  expectTypeOf<S3SinkError>().toEqualTypeOf<SinkError>()
  expectTypeOf(S3SinkError).toEqualTypeOf<typeof SinkError>()
})
