import { test } from 'node:test'
import type { Pool } from 'pg'
import type { ActionRecord, AuditSink, KeySource, Lock, PointLookup } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  postgresLock, postgresLookup, postgresRangeScan, postgresReferences, postgresReferencesUnion, postgresSnapshot, postgresTombstones,
  type PostgresClientOption, type PostgresRangeScan, type PostgresRangeScanOptions, type PostgresLockOptions, type PostgresLookupOptions, type PostgresReferencesOptions,
  type PostgresReferencesSource, type PostgresReferencesUnionOptions, type PostgresSnapshot, type PostgresStrategy,
  type PostgresTombstonesOptions, type TombstoneRecord, type TombstoneWriter
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// Only its type is used: the checks are at compile time.
const pool = undefined as unknown as Pool

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and take the client users configure', () => {
  // Sources are made synchronously and can still be awaited (which plans them) as before.
  expectTypeOf(postgresReferences).returns.toEqualTypeOf<PostgresReferencesSource>()
  expectTypeOf(postgresReferencesUnion).returns.toEqualTypeOf<PostgresReferencesSource>()
  expectTypeOf<PostgresReferencesSource>().toExtend<KeySource>()
  expectTypeOf<Awaited<PostgresReferencesSource>>().toEqualTypeOf<KeySource>()
  expectTypeOf(postgresLookup).returns.toEqualTypeOf<PointLookup>()
  expectTypeOf(postgresLock).returns.toEqualTypeOf<Lock>()
  expectTypeOf(postgresTombstones).returns.toEqualTypeOf<AuditSink>()
  expectTypeOf(postgresSnapshot).parameters.toEqualTypeOf<[Pool]>()
  expectTypeOf(postgresSnapshot).returns.resolves.toEqualTypeOf<PostgresSnapshot>()

  // `client` is the pool; a table and column, or a query, are checked as a pair by the factory.
  expectTypeOf<RequiredKeys<Extract<PostgresClientOption, { client: Pool }>>>().toEqualTypeOf<'client'>()
  expectTypeOf({ client: pool, table: 't', column: 'k' }).toExtend<PostgresReferencesOptions>()
  expectTypeOf({ client: pool, table: 't', column: 'k' }).toExtend<PostgresLookupOptions>()
  expectTypeOf({ client: pool, parts: [] }).toExtend<PostgresReferencesUnionOptions>()
  expectTypeOf({ client: pool, runId: 'r' }).toExtend<PostgresTombstonesOptions>()
  expectTypeOf({ table: 't', column: 'k' }).not.toExtend<PostgresReferencesOptions>()
  expectTypeOf({ client: pool }).not.toExtend<PostgresTombstonesOptions>()
  expectTypeOf({ client: pool, table: 't' }).not.toExtend<PostgresReferencesUnionOptions>()
  // `pool`, the old name, is accepted for one release (deprecated); not both at once.
  expectTypeOf({ pool, table: 't', column: 'k' }).toExtend<PostgresReferencesOptions>()
  expectTypeOf({ pool, runId: 'r' }).toExtend<PostgresTombstonesOptions>()
  expectTypeOf({ client: pool, pool, table: 't' }).not.toExtend<PostgresReferencesOptions>()
  expectTypeOf({ client: pool, target: 's3://b/' }).toExtend<PostgresLockOptions>()
  expectTypeOf({ pool, target: 's3://b/' }).toExtend<PostgresLockOptions>()
  expectTypeOf({ client: pool }).not.toExtend<PostgresLockOptions>()

  expectTypeOf<PostgresReferencesOptions['strategy']>().toEqualTypeOf<PostgresStrategy | undefined>()
  expectTypeOf<PostgresStrategy>().toEqualTypeOf<'auto' | 'cursor' | 'copy'>()
  expectTypeOf<PostgresReferencesOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  // A snapshot is shared by handing over the object, or a function read when the scan starts.
  expectTypeOf<PostgresSnapshot>().toExtend<PostgresReferencesOptions['snapshot']>()
  expectTypeOf<() => PostgresSnapshot | undefined>().toExtend<PostgresReferencesOptions['snapshot']>()
  // The range check takes a source's spec and the ranges to ask about, and answers per range.
  expectTypeOf(postgresRangeScan).returns.resolves.toEqualTypeOf<PostgresRangeScan>()
  expectTypeOf({ client: pool, table: 't', column: 'k', ranges: [{ upTo: 'm' }] }).toExtend<PostgresRangeScanOptions>()
  expectTypeOf({ client: pool, table: 't', column: 'k' }).not.toExtend<PostgresRangeScanOptions>()
  expectTypeOf<PostgresRangeScan['reads'][number]['access']>().toEqualTypeOf<'index' | 'whole-table'>()
  // The tombstone types are core's audit contract under their old names.
  expectTypeOf<TombstoneWriter>().toEqualTypeOf<AuditSink>()
  expectTypeOf<TombstoneRecord>().toEqualTypeOf<ActionRecord>()
})
