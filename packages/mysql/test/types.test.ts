import { test } from 'node:test'
import type { Pool } from 'mysql2'
import type { Pool as PromisePool } from 'mysql2/promise'
import type { KeySource, Lock, PointLookup } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  mysqlLock, mysqlLookup, mysqlReferences, mysqlReferencesUnion, mysqlSnapshot, mysqlTombstones,
  type BinaryEncoding, type MysqlLockOptions, type MysqlLookupOptions, type MysqlPool, type MysqlReferencesOptions,
  type MysqlReferencesUnionOptions, type MysqlSnapshot, type MysqlTombstonesOptions, type TombstoneWriter
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and take either kind of mysql2 pool', () => {
  expectTypeOf(mysqlReferences).returns.resolves.toEqualTypeOf<KeySource>()
  expectTypeOf(mysqlReferencesUnion).returns.resolves.toEqualTypeOf<KeySource>()
  expectTypeOf(mysqlLookup).returns.toEqualTypeOf<PointLookup>()
  expectTypeOf(mysqlLock).returns.toEqualTypeOf<Lock>()
  expectTypeOf(mysqlTombstones).returns.toEqualTypeOf<TombstoneWriter>()
  expectTypeOf(mysqlSnapshot).returns.resolves.toEqualTypeOf<MysqlSnapshot>()

  // The callback pool of mysql2 and its promise wrapper are both accepted everywhere.
  expectTypeOf<MysqlPool>().toEqualTypeOf<Pool | PromisePool>()
  expectTypeOf<MysqlReferencesOptions['pool']>().toEqualTypeOf<MysqlPool>()
  expectTypeOf<MysqlLockOptions['pool']>().toEqualTypeOf<MysqlPool>()
  expectTypeOf(mysqlSnapshot).parameters.toEqualTypeOf<[MysqlPool]>()

  // A table and column, or a query: neither is required on its own, the factory checks the pair.
  expectTypeOf<RequiredKeys<MysqlReferencesOptions>>().toEqualTypeOf<'pool'>()
  expectTypeOf<RequiredKeys<MysqlLookupOptions>>().toEqualTypeOf<'pool'>()
  expectTypeOf<RequiredKeys<MysqlReferencesUnionOptions>>().toEqualTypeOf<'pool' | 'parts'>()
  expectTypeOf<RequiredKeys<MysqlLockOptions>>().toEqualTypeOf<'pool' | 'target'>()
  expectTypeOf<RequiredKeys<MysqlTombstonesOptions>>().toEqualTypeOf<'pool' | 'runId'>()

  // A binary key column is rendered as hex, base64, or decoded as UTF-8 text (PostgreSQL has the first two).
  expectTypeOf<BinaryEncoding>().toEqualTypeOf<'hex' | 'base64' | 'utf8'>()
  expectTypeOf<MysqlReferencesOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  // The union's parts are read one after another, so it is never sorted and has no claim to make.
  expectTypeOf<MysqlReferencesUnionOptions>().not.toHaveProperty('sorted')
})
