import assert from 'node:assert/strict'
import type { RestorableSink, Sink, SinkOutcome } from '../contracts/sink.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { awkwardKeys } from './key-source-suite.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

export interface SinkFixture {
  sink: Sink | RestorableSink
  /** True when the sink's action is visible on `key`: deleted, quarantined, tagged, hold released, dropped. */
  actedOn: (key: string) => Promise<boolean>
  /**
   * The entry of `key` as a plan made now records it: what the store's own key source lists
   * (size, lastModified, and the ETag or generation as `version`). Only asked when
   * `supports.changed`.
   */
  planned?: (key: string) => Promise<KeyEntry>
  /**
   * Rewrites `key` with `body` as a writer would after the plan: other content, another
   * size, a later modification time, a new ETag or generation. Only asked when `supports.changed`.
   */
  rewrite?: (key: string, body: Uint8Array) => Promise<void>
  /** The content of `key`, or undefined when it is gone. Only asked when `supports.changed`. */
  read?: (key: string) => Promise<Uint8Array | undefined>
}

export interface SinkFixtureOptions {
  /**
   * Acting on these keys must fail (the factory arranges it, e.g. through the store's own
   * permissions or a fault-injecting proxy in front of the server). Only asked when
   * `supports.failures`. They all start with `fail/` unless `supports.pageKey` says otherwise.
   */
  failKeys?: readonly string[]
}

/** Makes the given entries exist in a fresh namespace and returns a sink over it. */
export type SinkFactory = (entries: readonly KeyEntry[], options: SinkFixtureOptions) => Promise<Fixture<SinkFixture>>

/**
 * What the suite is told about the fixture and the store. What the sink itself can do it
 * declares and the suite reads from it: `sink.supports.changed`, and `restore` by being a
 * RestorableSink. `restore` and `changed` here are read for a release more, for test files
 * written before sinks declared them.
 */
export interface SinkSupports {
  /** The factory honours `failKeys`. @default false */
  failures?: boolean
  /** @deprecated The suite sees a RestorableSink by its `restore` method. */
  restore?: boolean
  /** @deprecated Declared by the sink as `supports.changed`; the fixture then has `planned`, `rewrite` and `read`. */
  changed?: boolean
  /** Whether the store can hold a key (a file system cannot hold `a//b`; a database name has no `/`). @default every key */
  canHold?: (key: string) => boolean
  /** Generated key number `i` (`prefix` is `page` or `fail`). @default `${prefix}/${i padded to 6 digits}` */
  pageKey?: (prefix: string, i: number) => string
  /** Most keys one test may ask the factory to make; the full-batch test is cut to fit. @default 2000 */
  maxKeys?: number
}

export interface SinkSuiteOptions {
  test: TestFunction
  factory: SinkFactory
  supports?: SinkSupports
  /** Prefix for test names. @default 'sink' */
  name?: string
}

function defaultPageKey (prefix: string, i: number): string {
  return `${prefix}/${String(i).padStart(6, '0')}`
}

function chunks<T> (items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

/** Checks the outcomes of one call: exactly one per key of the batch, nothing else. */
function checkOutcomes (sink: Sink, batch: readonly KeyEntry[], outcomes: SinkOutcome[]): Map<string, SinkOutcome> {
  assert.ok(Array.isArray(outcomes), `${sink.name} must return an array of outcomes`)
  const byKey = new Map<string, SinkOutcome>()
  for (const outcome of outcomes) {
    assert.equal(typeof outcome.key, 'string', `${sink.name}: every outcome names its key`)
    assert.equal(typeof outcome.ok, 'boolean', `${sink.name}: outcome of ${JSON.stringify(outcome.key)} has a boolean ok`)
    assert.ok(!byKey.has(outcome.key), `${sink.name}: two outcomes for ${JSON.stringify(outcome.key)}`)
    byKey.set(outcome.key, outcome)
  }
  const expected = new Set(batch.map(entry => entry.key))
  for (const key of expected) assert.ok(byKey.has(key), `${sink.name}: no outcome for ${JSON.stringify(key)}`)
  for (const key of byKey.keys()) assert.ok(expected.has(key), `${sink.name}: an outcome for ${JSON.stringify(key)}, which was not in the batch`)
  return byKey
}

async function actAll (sink: Sink, entries: readonly KeyEntry[], act: (batch: readonly KeyEntry[]) => Promise<SinkOutcome[]>): Promise<Map<string, SinkOutcome>> {
  const all = new Map<string, SinkOutcome>()
  const size = Math.min(sink.maxBatch ?? 1000, 1000)
  assert.ok(Number.isInteger(size) && size >= 1, `${sink.name}: maxBatch must be a positive integer`)
  for (const batch of chunks(entries, size)) {
    for (const [key, outcome] of checkOutcomes(sink, batch, await act(batch))) all.set(key, outcome)
  }
  return all
}

function assertAllOk (sink: Sink, outcomes: Map<string, SinkOutcome>, what: string): void {
  for (const outcome of outcomes.values()) {
    assert.ok(outcome.ok, `${sink.name}: ${what} ${JSON.stringify(outcome.key)} failed: ${outcome.error ?? '(no error given)'}`)
  }
}

async function assertActedOn (fixture: SinkFixture, keys: Iterable<string>, expected: boolean): Promise<void> {
  for (const key of keys) {
    assert.equal(await fixture.actedOn(key), expected, `${fixture.sink.name}: ${JSON.stringify(key)} should ${expected ? '' : 'not '}have been acted on`)
  }
}

function isRestorable (sink: Sink): sink is RestorableSink {
  return typeof (sink as RestorableSink).restore === 'function'
}

/**
 * The conformance suite every sink runs against its own server: acting on a subset acts on
 * exactly those keys (awkward keys and full batches included), acting twice is harmless,
 * per-key failures come back as failed outcomes with their error while the rest succeed,
 * an object rewritten since the plan is left alone and reported, and a restorable sink's
 * restore undoes the action.
 */
export function sinkSuite (options: SinkSuiteOptions): void {
  const { test, factory } = options
  const supports = options.supports ?? {}
  const name = options.name ?? 'sink'
  const canHold = supports.canHold ?? (() => true)
  const pageKey = supports.pageKey ?? defaultPageKey
  const maxKeys = supports.maxKeys ?? 2000

  const withFixture = async (entries: readonly KeyEntry[], fixtureOptions: SinkFixtureOptions, fn: (fixture: SinkFixture) => Promise<void>): Promise<void> => {
    const fixture = await factory(entries, fixtureOptions)
    try {
      await fn(fixture.subject)
    } finally {
      await fixture.teardown?.()
    }
  }

  const awkward = (): KeyEntry[] => awkwardKeys({}).filter(canHold).map(key => ({ key, size: 3 }))
  const pages = (prefix: string, count: number): KeyEntry[] => Array.from({ length: count }, (_, i) => ({ key: pageKey(prefix, i), size: 1 }))

  test(`${name}: an empty batch gives no outcomes`, async () => {
    await withFixture(pages('page', 2), {}, async fixture => {
      assert.deepEqual(await fixture.sink.apply([]), [])
      await assertActedOn(fixture, [pageKey('page', 0), pageKey('page', 1)], false)
    })
  })

  test(`${name}: acting on a subset acts on exactly those keys, awkward keys included`, async () => {
    const keys = awkward().concat(pages('page', 10))
    const chosen = keys.filter((_, i) => i % 2 === 0)
    await withFixture(keys, {}, async fixture => {
      assertAllOk(fixture.sink, await actAll(fixture.sink, chosen, batch => fixture.sink.apply(batch)), 'acting on')
      const chosenKeys = new Set(chosen.map(entry => entry.key))
      await assertActedOn(fixture, chosenKeys, true)
      await assertActedOn(fixture, keys.map(entry => entry.key).filter(key => !chosenKeys.has(key)), false)
    })
  })

  test(`${name}: full batches of maxBatch keys, and one more, are acted on exactly`, async () => {
    const count = Math.max(2, Math.min(1001, maxKeys - 5))
    const keys = pages('page', count + 5)
    const chosen = keys.slice(0, count)
    await withFixture(keys, {}, async fixture => {
      assertAllOk(fixture.sink, await actAll(fixture.sink, chosen, batch => fixture.sink.apply(batch)), 'acting on')
      await assertActedOn(fixture, chosen.map(entry => entry.key), true)
      await assertActedOn(fixture, keys.slice(count).map(entry => entry.key), false)
    })
  })

  test(`${name}: acting twice is harmless: the second time every key is ok`, async () => {
    const keys = awkward().slice(0, 5).concat(pages('page', 6))
    const chosen = keys.slice(0, 8)
    await withFixture(keys, {}, async fixture => {
      assertAllOk(fixture.sink, await actAll(fixture.sink, chosen, batch => fixture.sink.apply(batch)), 'acting on')
      assertAllOk(fixture.sink, await actAll(fixture.sink, chosen, batch => fixture.sink.apply(batch)), 'acting again on')
      await assertActedOn(fixture, chosen.map(entry => entry.key), true)
      await assertActedOn(fixture, keys.slice(8).map(entry => entry.key), false)
    })
  })

  if (supports.failures === true) {
    test(`${name}: keys that cannot be acted on come back failed with an error; the rest succeed`, async () => {
      const failKeys = pages('fail', 3).map(entry => entry.key)
      const keys = pages('page', 7).concat(failKeys.map(key => ({ key, size: 1 })))
      await withFixture(keys, { failKeys }, async fixture => {
        const outcomes = await actAll(fixture.sink, keys, batch => fixture.sink.apply(batch))
        for (const key of failKeys) {
          const outcome = outcomes.get(key)
          assert.equal(outcome?.ok, false, `${fixture.sink.name}: acting on ${JSON.stringify(key)} should have failed`)
          assert.ok(typeof outcome.error === 'string' && outcome.error.length > 0, `${fixture.sink.name}: the failure of ${JSON.stringify(key)} should carry its error`)
        }
        assertAllOk(fixture.sink, new Map([...outcomes].filter(([key]) => !failKeys.includes(key))), 'acting on')
        await assertActedOn(fixture, failKeys, false)
        await assertActedOn(fixture, keys.map(entry => entry.key).filter(key => !failKeys.includes(key)), true)
      })
    })
  }

  test(`${name}: an object changed since the plan is not acted on, where the sink checks`, async context => {
    const keys = pages('page', 6)
    const changed = [pageKey('page', 1), pageKey('page', 4)]
    await withFixture(keys, {}, async fixture => {
      if (supports.changed !== true && fixture.sink.supports?.changed !== true) {
        context.skip?.(`${fixture.sink.name} does not declare supports.changed`)
        return
      }
      const { planned, rewrite, read } = fixture
      assert.ok(planned !== undefined && rewrite !== undefined && read !== undefined, `${fixture.sink.name}: supports.changed needs the fixture's planned, rewrite and read`)
      const plan = await Promise.all(keys.map(async entry => await planned(entry.key)))
      // Another size and other bytes than the fixture wrote; a later time than the plan saw.
      const body = new TextEncoder().encode('rewritten after the plan')
      await new Promise(resolve => setTimeout(resolve, 20))
      for (const key of changed) await rewrite(key, body)
      const outcomes = await actAll(fixture.sink, plan, batch => fixture.sink.apply(batch))
      for (const key of changed) {
        const outcome = outcomes.get(key)
        assert.equal(outcome?.ok, false, `${fixture.sink.name}: ${JSON.stringify(key)} was rewritten after the plan and should not have been acted on`)
        assert.equal(outcome.retryable, false, `${fixture.sink.name}: a changed object stays changed; its failure is not retryable`)
        assert.match(outcome.error ?? '', /changed since the plan/, `${fixture.sink.name}: the failure of ${JSON.stringify(key)} should say it changed since the plan`)
        const content = await read(key)
        assert.ok(content !== undefined, `${fixture.sink.name}: ${JSON.stringify(key)} was rewritten after the plan and should still exist`)
        assert.equal(Buffer.from(content).toString('utf8'), 'rewritten after the plan', `${fixture.sink.name}: ${JSON.stringify(key)} should still hold its new content`)
      }
      await assertActedOn(fixture, changed, false)
      const unchanged = keys.map(entry => entry.key).filter(key => !changed.includes(key))
      assertAllOk(fixture.sink, new Map([...outcomes].filter(([key]) => unchanged.includes(key))), 'acting on')
      await assertActedOn(fixture, unchanged, true)
    })
  })

  test(`${name}: restore makes the keys un-acted-on again, and restoring twice is harmless`, async context => {
    const keys = awkward().slice(0, 6).concat(pages('page', 6))
    const chosen = keys.filter((_, i) => i % 3 !== 2)
    await withFixture(keys, {}, async fixture => {
      const sink = fixture.sink
      if (supports.restore === true) assert.ok(isRestorable(sink), `${sink.name} should be a RestorableSink (it has no restore method)`)
      if (!isRestorable(sink)) {
        context.skip?.(`${sink.name} cannot restore`)
        return
      }
      assertAllOk(sink, await actAll(sink, chosen, batch => sink.apply(batch)), 'acting on')
      await assertActedOn(fixture, chosen.map(entry => entry.key), true)
      assertAllOk(sink, await actAll(sink, chosen, batch => sink.restore(batch)), 'restoring')
      assertAllOk(sink, await actAll(sink, chosen, batch => sink.restore(batch)), 'restoring again')
      await assertActedOn(fixture, keys.map(entry => entry.key), false)
    })
  })
}
