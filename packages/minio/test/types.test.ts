import { test } from 'node:test'
import type { Client } from 'minio'
import type { KeySource, Lock, RestorableSink, Sink } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  minioDeleteSink, minioLock, minioSource, minioTagSink,
  type MinioDeleteSinkOptions, type MinioLockOptions, type MinioSourceOptions, type MinioTagSinkOptions
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and require only the client and bucket', () => {
  expectTypeOf(minioSource).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(minioDeleteSink).returns.toEqualTypeOf<Sink>()
  expectTypeOf(minioTagSink).returns.toEqualTypeOf<RestorableSink>()
  expectTypeOf(minioLock).returns.toEqualTypeOf<Lock>()

  expectTypeOf<RequiredKeys<MinioSourceOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<MinioDeleteSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<MinioTagSinkOptions>>().toEqualTypeOf<'client' | 'bucket'>()
  expectTypeOf<RequiredKeys<MinioLockOptions>>().toEqualTypeOf<'client' | 'bucket'>()

  expectTypeOf<MinioSourceOptions['client']>().toEqualTypeOf<Client>()
  expectTypeOf<MinioDeleteSinkOptions['client']>().toEqualTypeOf<Client>()
  expectTypeOf<MinioSourceOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  expectTypeOf<MinioTagSinkOptions['tag']>().toEqualTypeOf<{ key: string, value: string } | undefined>()
})

/** The retry options of the vocabulary, as @keydiff/s3 names them too. */
interface Vocabulary { retries?: number, retryDelay?: number, retryDelayMs?: number, maxRetryDelay?: number }
type VocabularyOf<T> = Pick<T, keyof Vocabulary & keyof T>

test('the options speak the shared vocabulary; retryDelayMs stays as a deprecated alias of retryDelay', () => {
  expectTypeOf<VocabularyOf<MinioSourceOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<VocabularyOf<MinioDeleteSinkOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<VocabularyOf<MinioTagSinkOptions>>().toEqualTypeOf<Vocabulary>()
  expectTypeOf<Pick<MinioDeleteSinkOptions, 'concurrency'>>().toEqualTypeOf<Pick<MinioTagSinkOptions, 'concurrency'>>()
  expectTypeOf<Pick<MinioSourceOptions, 'name' | 'sorted' | 'estimatedCount' | 'prefix' | 'signal'>>()
    .toEqualTypeOf<{ name?: string, sorted?: boolean, estimatedCount?: number, prefix?: string, signal?: AbortSignal }>()
  expectTypeOf(minioSource).toBeCallableWith({ client: {} as Client, bucket: 'b', retryDelayMs: 5 })
  // @ts-expect-error the client is `client`, as in every adapter
  expectTypeOf(minioSource).toBeCallableWith({ minio: {} as Client, bucket: 'b' })
})
