import { test } from 'node:test'
import { expectTypeOf } from 'expect-type'
import {
  arraySource, diff, map, union, linesSource, plan, apply, lockFile, directoryDeleteSink, directoryQuarantineSink,
  type DiffPart, type DiffRun, type DiffStats, type KeyBatch, type KeyEntry, type KeySource, type Lock, type PlanSummary,
  type ApplyResult, type RestorableSink, type Sink, type PointLookup, type TextInput
} from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

// The public factories' types are the contract adapters and users build on; these checks
// fail to compile when they drift. The test body runs them so the file is not empty.
test('public types', () => {
  expectTypeOf(arraySource).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(linesSource).parameter(0).toEqualTypeOf<TextInput>()
  expectTypeOf(keySource).returns.toEqualTypeOf<KeySource>()
  expectTypeOf<KeySource>().toMatchTypeOf<AsyncIterable<KeyBatch>>()
  expectTypeOf<KeyBatch>().toEqualTypeOf<readonly KeyEntry[]>()
  expectTypeOf(diff).returns.toEqualTypeOf<DiffRun>()
  expectTypeOf<DiffRun>().toMatchTypeOf<AsyncIterable<DiffPart>>()
  expectTypeOf<DiffRun['stats']>().toEqualTypeOf<DiffStats>()
  expectTypeOf<DiffPart['kind']>().toEqualTypeOf<'orphans' | 'missing'>()
  expectTypeOf(map).returns.returns.toEqualTypeOf<KeySource>()
  expectTypeOf(union).returns.toEqualTypeOf<KeySource>()
  expectTypeOf(plan).returns.resolves.toEqualTypeOf<PlanSummary>()
  expectTypeOf(apply).returns.resolves.toEqualTypeOf<ApplyResult>()
  expectTypeOf(lockFile).returns.toEqualTypeOf<Lock>()
  expectTypeOf(directoryDeleteSink).returns.toMatchTypeOf<Sink>()
  expectTypeOf(directoryQuarantineSink).returns.toMatchTypeOf<RestorableSink>()
  expectTypeOf<PointLookup['has']>().returns.resolves.toEqualTypeOf<ReadonlySet<string>>()
  expectTypeOf<KeyEntry>().toEqualTypeOf<{ readonly key: string, readonly size?: number, readonly lastModified?: Date, readonly version?: string }>()
})
