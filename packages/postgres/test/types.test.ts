import { test } from 'node:test'
import type { Pool } from 'pg'
import type { KeySource, Lock, PointLookup } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  postgresLock, postgresLookup, postgresReferences, postgresReferencesUnion, postgresSnapshot, postgresTombstones,
  type PostgresLockOptions, type PostgresLookupOptions, type PostgresReferencesOptions, type PostgresReferencesUnionOptions,
  type PostgresSnapshot, type PostgresStrategy, type PostgresTombstonesOptions, type TombstoneWriter
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and take the pool users configure', () => {
  expectTypeOf(postgresReferences).returns.resolves.toEqualTypeOf<KeySource>()
  expectTypeOf(postgresReferencesUnion).returns.resolves.toEqualTypeOf<KeySource>()
  expectTypeOf(postgresLookup).returns.toEqualTypeOf<PointLookup>()
  expectTypeOf(postgresLock).returns.toEqualTypeOf<Lock>()
  expectTypeOf(postgresTombstones).returns.toEqualTypeOf<TombstoneWriter>()
  expectTypeOf(postgresSnapshot).parameters.toEqualTypeOf<[Pool]>()
  expectTypeOf(postgresSnapshot).returns.resolves.toEqualTypeOf<PostgresSnapshot>()

  // A table and column, or a query: neither is required on its own, the factory checks the pair.
  expectTypeOf<RequiredKeys<PostgresReferencesOptions>>().toEqualTypeOf<'pool'>()
  expectTypeOf<RequiredKeys<PostgresLookupOptions>>().toEqualTypeOf<'pool'>()
  expectTypeOf<RequiredKeys<PostgresReferencesUnionOptions>>().toEqualTypeOf<'pool' | 'parts'>()
  expectTypeOf<RequiredKeys<PostgresLockOptions>>().toEqualTypeOf<'pool' | 'target'>()
  expectTypeOf<RequiredKeys<PostgresTombstonesOptions>>().toEqualTypeOf<'pool' | 'runId'>()

  expectTypeOf<PostgresReferencesOptions['pool']>().toEqualTypeOf<Pool>()
  expectTypeOf<PostgresReferencesOptions['strategy']>().toEqualTypeOf<PostgresStrategy | undefined>()
  expectTypeOf<PostgresStrategy>().toEqualTypeOf<'auto' | 'cursor' | 'copy'>()
  expectTypeOf<PostgresReferencesOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  // A snapshot is shared by handing over the object, or a function read when the scan starts.
  expectTypeOf<PostgresSnapshot>().toExtend<PostgresReferencesOptions['snapshot']>()
  expectTypeOf<() => PostgresSnapshot | undefined>().toExtend<PostgresReferencesOptions['snapshot']>()
})
