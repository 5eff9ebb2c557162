import { test } from 'node:test'
import type { S3Client } from '@aws-sdk/client-s3'
import type { KeySource, Lock, RestorableSink, Sink } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  s3DeleteSink, s3InventorySource, s3Lock, s3QuarantineSink, s3Source, s3TagSink,
  type S3DeleteSinkOptions, type S3InventorySourceOptions, type S3LockOptions, type S3QuarantineSinkOptions,
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
