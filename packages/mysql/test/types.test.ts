import { test } from 'node:test'
import type { Pool } from 'mysql2'
import type { Pool as PromisePool } from 'mysql2/promise'
import type { ActionRecord, AuditSink, KeySource, Lock, PointLookup } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  mysqlLock, mysqlLookup, mysqlReferences, mysqlReferencesUnion, mysqlSnapshot, mysqlTombstones,
  type BinaryEncoding, type MysqlClientOption, type MysqlLockOptions, type MysqlLookupOptions, type MysqlPool,
  type MysqlReferencesOptions, type MysqlReferencesSource, type MysqlReferencesUnionOptions, type MysqlSnapshot,
  type MysqlTombstonesOptions, type TombstoneRecord, type TombstoneWriter
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// Only their types are used: the checks are at compile time.
const pool = undefined as unknown as Pool
const promisePool = undefined as unknown as PromisePool

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and take either kind of mysql2 pool as client', () => {
  // Sources are made synchronously and can still be awaited (which plans them) as before.
  expectTypeOf(mysqlReferences).returns.toEqualTypeOf<MysqlReferencesSource>()
  expectTypeOf(mysqlReferencesUnion).returns.toEqualTypeOf<MysqlReferencesSource>()
  expectTypeOf<MysqlReferencesSource>().toExtend<KeySource>()
  expectTypeOf<Awaited<MysqlReferencesSource>>().toEqualTypeOf<KeySource>()
  expectTypeOf(mysqlLookup).returns.toEqualTypeOf<PointLookup>()
  expectTypeOf(mysqlLock).returns.toEqualTypeOf<Lock>()
  expectTypeOf(mysqlTombstones).returns.toEqualTypeOf<AuditSink>()
  expectTypeOf(mysqlSnapshot).returns.resolves.toEqualTypeOf<MysqlSnapshot>()

  // The callback pool of mysql2 and its promise wrapper are both accepted everywhere.
  expectTypeOf<MysqlPool>().toEqualTypeOf<Pool | PromisePool>()
  expectTypeOf<RequiredKeys<Extract<MysqlClientOption, { client: MysqlPool }>>>().toEqualTypeOf<'client'>()
  expectTypeOf({ client: promisePool, table: 't', column: 'k' }).toExtend<MysqlReferencesOptions>()
  expectTypeOf(mysqlSnapshot).parameters.toEqualTypeOf<[MysqlPool]>()

  // `client` is required; a table and column, or a query, are checked as a pair by the factory.
  expectTypeOf({ client: pool, table: 't', column: 'k' }).toExtend<MysqlReferencesOptions>()
  expectTypeOf({ client: pool, table: 't', column: 'k' }).toExtend<MysqlLookupOptions>()
  expectTypeOf({ client: pool, parts: [] }).toExtend<MysqlReferencesUnionOptions>()
  expectTypeOf({ client: pool, runId: 'r' }).toExtend<MysqlTombstonesOptions>()
  expectTypeOf({ table: 't', column: 'k' }).not.toExtend<MysqlReferencesOptions>()
  expectTypeOf({ client: pool }).not.toExtend<MysqlTombstonesOptions>()
  expectTypeOf({ client: pool, table: 't' }).not.toExtend<MysqlReferencesUnionOptions>()
  // `pool`, the old name, is accepted for one release (deprecated); not both at once.
  expectTypeOf({ pool, table: 't', column: 'k' }).toExtend<MysqlReferencesOptions>()
  expectTypeOf({ pool, runId: 'r' }).toExtend<MysqlTombstonesOptions>()
  expectTypeOf({ client: pool, pool, table: 't' }).not.toExtend<MysqlReferencesOptions>()
  expectTypeOf({ client: pool, target: 's3://b/' }).toExtend<MysqlLockOptions>()
  expectTypeOf({ pool, target: 's3://b/' }).toExtend<MysqlLockOptions>()
  expectTypeOf({ client: pool }).not.toExtend<MysqlLockOptions>()

  // A binary key column is rendered as hex, base64, or decoded as UTF-8 text (PostgreSQL has the first two).
  expectTypeOf<BinaryEncoding>().toEqualTypeOf<'hex' | 'base64' | 'utf8'>()
  expectTypeOf<MysqlReferencesOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  // The union's parts are read one after another, so it is never sorted and has no claim to make.
  expectTypeOf<MysqlReferencesUnionOptions>().not.toHaveProperty('sorted')
  // The tombstone types are core's audit contract under their old names.
  expectTypeOf<TombstoneWriter>().toEqualTypeOf<AuditSink>()
  expectTypeOf<TombstoneRecord>().toEqualTypeOf<ActionRecord>()
})
