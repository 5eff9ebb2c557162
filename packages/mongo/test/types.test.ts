import { test } from 'node:test'
import type { MongoClient } from 'mongodb'
import type { KeySource, Lock, PointLookup, Sink } from '@keydiff/core'
import { expectTypeOf } from 'expect-type'
import {
  jsonLinesBackup, mongoCollections, mongoDatabases, mongoDropCollectionSink, mongoDropDatabaseSink, mongoLock,
  mongoLookup, mongoReferences,
  type BackupHook, type MongoCollectionsOptions, type MongoDatabasesOptions, type MongoDropCollectionSinkOptions,
  type MongoDropDatabaseSinkOptions, type MongoLockOptions, type MongoLookupOptions, type MongoReferencesOptions,
  type NamePattern
} from '../src/index.ts'

/** The options a caller must give: a new required option breaks every caller, so it breaks this test first. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<string, never> extends Pick<T, K> ? never : K }[keyof T]

// The public factories' types are the contract users build on; these checks fail to compile
// when they drift (`tsc -p tsconfig.json` runs them). The test body runs them so the file is not empty.
test('public factories return the core contracts and take the MongoClient users configure', () => {
  expectTypeOf(mongoReferences).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(mongoDatabases).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(mongoCollections).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(mongoLookup).returns.toEqualTypeOf<PointLookup>()
  expectTypeOf(mongoDropDatabaseSink).returns.toEqualTypeOf<Sink>()
  expectTypeOf(mongoDropCollectionSink).returns.toEqualTypeOf<Sink>()
  expectTypeOf(mongoLock).returns.toEqualTypeOf<Lock>()
  expectTypeOf(jsonLinesBackup).returns.toEqualTypeOf<BackupHook>()

  expectTypeOf<RequiredKeys<MongoReferencesOptions>>().toEqualTypeOf<'client' | 'database' | 'collection'>()
  expectTypeOf<RequiredKeys<MongoLookupOptions>>().toEqualTypeOf<'client' | 'database' | 'collection'>()
  expectTypeOf<RequiredKeys<MongoDatabasesOptions>>().toEqualTypeOf<'client'>()
  expectTypeOf<RequiredKeys<MongoCollectionsOptions>>().toEqualTypeOf<'client' | 'database'>()
  expectTypeOf<RequiredKeys<MongoDropDatabaseSinkOptions>>().toEqualTypeOf<'client'>()
  expectTypeOf<RequiredKeys<MongoDropCollectionSinkOptions>>().toEqualTypeOf<'client' | 'database'>()
  expectTypeOf<RequiredKeys<MongoLockOptions>>().toEqualTypeOf<'client' | 'target'>()

  expectTypeOf<MongoReferencesOptions['client']>().toEqualTypeOf<MongoClient>()
  expectTypeOf<MongoLockOptions['client']>().toEqualTypeOf<MongoClient>()
  expectTypeOf<MongoReferencesOptions['signal']>().toEqualTypeOf<AbortSignal | undefined>()
  // The vocabulary every adapter shares: `sorted`, `name`, `estimatedCount`; `sort`, the old name of `sorted`, for one release.
  expectTypeOf<MongoReferencesOptions['sorted']>().toEqualTypeOf<boolean | undefined>()
  expectTypeOf<MongoReferencesOptions['sort']>().toEqualTypeOf<boolean | undefined>()
  expectTypeOf<MongoReferencesOptions['estimatedCount']>().toEqualTypeOf<number | undefined>()
  for (const options of [{} as MongoReferencesOptions, {} as MongoLookupOptions, {} as MongoDatabasesOptions, {} as MongoCollectionsOptions]) {
    expectTypeOf(options.name).toEqualTypeOf<string | undefined>()
  }
  // Databases and collections are chosen by a pattern or a predicate.
  expectTypeOf<MongoDatabasesOptions['include']>().toEqualTypeOf<NamePattern | undefined>()
  expectTypeOf<RegExp>().toExtend<NamePattern>()
  expectTypeOf<(name: string) => boolean>().toExtend<NamePattern>()
  // A dropped database goes through the backup hook first; the database sink can also refuse a busy one.
  expectTypeOf<MongoDropDatabaseSinkOptions['backup']>().toEqualTypeOf<BackupHook | undefined>()
  expectTypeOf<MongoDropDatabaseSinkOptions>().toHaveProperty('idle')
})
