import assert from 'node:assert/strict'
import type { PointLookup } from '../contracts/point-lookup.ts'
import { isRetryableCode } from '../errors.ts'
import { awkwardKeys } from './key-source-suite.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

/** A look-up over a fresh namespace that references exactly the keys it was made with. */
export interface PointLookupFixture {
  lookup: PointLookup
  /** References more keys, as a writer would after the look-up was made. */
  add: (keys: readonly string[]) => Promise<void>
  /** Makes the look-up's store fail from now on (its server cut off): `has` then rejects. */
  break: () => Promise<void>
}

/** Makes a look-up whose store references exactly `referenced`. */
export type PointLookupFactory = (referenced: readonly string[]) => Promise<Fixture<PointLookupFixture>>

export interface PointLookupSuiteOptions {
  test: TestFunction
  factory: PointLookupFactory
  /** Whether the store can reference a key (a database name has no `/`). @default every key */
  canHold?: (key: string) => boolean
  /** Prefix for test names. @default 'point lookup' */
  name?: string
}

function keys (prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}/${String(i).padStart(6, '0')}`)
}

/**
 * The conformance suite every point look-up runs against its own server: it answers exactly
 * the referenced subset of what it is asked (awkward keys, duplicates and more keys than a
 * batch included; a key that differs only in case or a trailing space is another key), it
 * answers for now (a key referenced after it was made is found), and a failing store rejects
 * with a keydiff code that says a retry may help, never with a partial answer.
 */
export function pointLookupSuite (options: PointLookupSuiteOptions): void {
  const { test, factory } = options
  const name = options.name ?? 'point lookup'
  const canHold = options.canHold ?? (() => true)

  const withFixture = async (referenced: readonly string[], fn: (fixture: PointLookupFixture) => Promise<void>): Promise<void> => {
    const fixture = await factory(referenced.filter(canHold))
    try {
      await fn(fixture.subject)
    } finally {
      await fixture.teardown?.()
    }
  }

  const assertFound = (found: ReadonlySet<string>, expected: readonly string[], lookup: PointLookup): void => {
    assert.ok(found instanceof Set, `${lookup.name}: has() must resolve to a Set`)
    assert.deepEqual([...found].sort(), [...expected].sort(), `${lookup.name}: found the wrong keys`)
  }

  test(`${name}: asked nothing, it finds nothing`, async () => {
    await withFixture(['a/1'], async ({ lookup }) => {
      assertFound(await lookup.has([]), [], lookup)
    })
  })

  test(`${name}: it finds exactly the referenced keys among those asked, over many batches and with repeats`, async () => {
    const referenced = keys('ref', 2500).filter(canHold)
    await withFixture(referenced, async ({ lookup }) => {
      const asked = [...keys('ref', 3000).filter(canHold), ...keys('ref', 10).filter(canHold), ...keys('none', 20).filter(canHold)]
      assertFound(await lookup.has(asked), referenced, lookup)
    })
  })

  test(`${name}: awkward keys are found exactly as written; one that differs in case or a trailing space is another key`, async () => {
    const awkward = awkwardKeys({ controlCharacters: false }).filter(canHold)
    const lookalikes = ['Mixed/Case', 'pad'].filter(canHold)
    await withFixture([...awkward, ...lookalikes], async ({ lookup }) => {
      const others = ['mixed/case', 'MIXED/CASE', 'pad ', ' pad', 'plain/key.txT'].filter(canHold)
      assertFound(await lookup.has([...awkward, ...lookalikes, ...others]), [...awkward, ...lookalikes], lookup)
    })
  })

  test(`${name}: it answers for now: a key referenced after it was made is found`, async () => {
    const [first, later] = keys('now', 2).filter(canHold)
    assert.ok(first !== undefined && later !== undefined)
    await withFixture([first], async ({ lookup, add }) => {
      assertFound(await lookup.has([first, later]), [first], lookup)
      await add([later])
      assertFound(await lookup.has([first, later]), [first, later], lookup)
    })
  })

  test(`${name}: when its store fails it rejects with a keydiff code that a retry may mend`, async () => {
    const referenced = keys('ref', 5).filter(canHold)
    await withFixture(referenced, async ({ lookup, break: breakStore }) => {
      await breakStore()
      await assert.rejects(lookup.has(referenced), (error: unknown) => {
        assert.ok(error instanceof Error && error.message.startsWith('[keydiff]'), `expected a keydiff error, got ${String(error)}`)
        const code = (error as { code?: unknown }).code
        assert.ok(typeof code === 'string' && ['KEYDIFF_CONNECTION_FAILED', 'KEYDIFF_SOURCE_FAILED'].includes(code), `a failing store is KEYDIFF_CONNECTION_FAILED or KEYDIFF_SOURCE_FAILED, got ${String(code)}: ${error.message}`)
        assert.equal(isRetryableCode(code), true)
        return true
      })
    })
  })
}
