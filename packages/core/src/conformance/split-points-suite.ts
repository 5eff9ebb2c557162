import assert from 'node:assert/strict'
import type { OpenedStore } from '../contracts/store-driver.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

/** A store's namespace holding exactly the keys it was made with, as {@link splitPointsSuite}'s factory makes it. */
export interface SplitPointsFixture {
  /**
   * Opens the store on the namespace, with `prefix` as its section's own prefix when given
   * (never asked when `supports.sectionPrefix` is false). The suite closes what it opens.
   */
  open: (section?: { prefix?: string }) => OpenedStore
  /** What a failure about the namespace names: its bucket, its root directory. */
  namespace: string
  /** Removes the namespace itself, keys and all (its bucket, its root directory). Teardown still runs after it. */
  remove: () => Promise<void>
}

/** Makes a fresh namespace holding exactly `keys`. */
export type SplitPointsFactory = (keys: readonly string[]) => Promise<Fixture<SplitPointsFixture>>

/** What the store can do, or what its stand-in cannot. */
export interface SplitPointsSupports {
  /** Delimiters other than `/`; a store whose levels are `/`-separated only (directories) refuses them with a TypeError. @default true */
  otherDelimiters?: boolean
  /** The section has a prefix of its own that the points stay under (a bucket's store; not a directory store). @default true */
  sectionPrefix?: boolean
  /**
   * A level holding only deeper levels is found (`images/` over `images/2024/x.jpg` alone). A
   * stand-in that reports a level only where an object lies directly in it (s3rver) says
   * false, and the suite puts one in each level. @default true
   */
  levelsWithoutObjects?: boolean
  /** Levels the store descends at most. @default 4 */
  depth?: number
  /** Whether the store can hold a key (and give back its levels as written). @default every key */
  canHold?: (key: string) => boolean
}

export interface SplitPointsSuiteOptions {
  test: TestFunction
  factory: SplitPointsFactory
  supports?: SplitPointsSupports
  /** Prefix for test names. @default 'split points' */
  name?: string
}

type SplitPointsOptions = Parameters<NonNullable<OpenedStore['splitPoints']>>[0]

const NESTED = ['docs/a/1.md', 'docs/b/2.md', 'images/2023/x.jpg', 'images/2024/y.jpg', 'images/2024/deep/z.jpg', 'logs/l.log', 'top.txt']
const FIRST_LEVEL = ['docs/', 'images/', 'logs/']
const TWO_LEVELS = ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'logs/']
const EVERY_LEVEL = ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'images/2024/deep/', 'logs/']

/** Each key's first-level point beside it, in byte order of the points: '-' before '/', upper case before lower, U+E000 before U+1F600 in UTF-8 but after it in UTF-16. */
const AWKWARD = [['Zed/x', 'Zed/'], ['a-b/x', 'a-b/'], ['a/x', 'a/'], ['a/B/x', 'a/B/'], ['a/b/x', 'a/b/'], ['plus+/x', 'plus+/'], ['sp ace/x', 'sp ace/'], ['é/x', 'é/'], ['\u{e000}/x', '\u{e000}/'], ['\u{1f600}/x', '\u{1f600}/']] as const

/** The keys, and an object directly in each of their levels. */
function withObjectInEachLevel (keys: readonly string[]): string[] {
  const levels = new Set<string>()
  for (const key of keys) for (let end = key.indexOf('/'); end !== -1; end = key.indexOf('/', end + 1)) levels.add(key.slice(0, end + 1))
  return [...new Set([...keys, ...[...levels].map(level => `${level}level-object`)])]
}

/**
 * The conformance suite of `OpenedStore.splitPoints` that every store offering it runs: the
 * points are the prefixes a delimited listing reveals, level after level until there are
 * `count` (or the depth limit is reached), distinct and in byte order, awkward and non-ASCII
 * names included; a prefix given, or the section's own, keeps them under it; another delimiter
 * cuts at its own prefixes, or is a TypeError where a store has only `/`; an empty or flat
 * store gives none, and `.keydiff/` is never one; a count it cannot use is a TypeError, and a
 * namespace that does not exist fails with KEYDIFF_SOURCE_NOT_FOUND, naming it.
 */
export function splitPointsSuite (options: SplitPointsSuiteOptions): void {
  const { test, factory } = options
  const name = options.name ?? 'split points'
  const supports = options.supports ?? {}
  const canHold = supports.canHold ?? (() => true)
  const depth = supports.depth ?? 4

  const withFixture = async (keys: readonly string[], fn: (fixture: SplitPointsFixture) => Promise<void>): Promise<void> => {
    const held = keys.filter(canHold)
    const fixture = await factory(supports.levelsWithoutObjects === false ? withObjectInEachLevel(held) : held)
    try {
      await fn(fixture.subject)
    } finally {
      await fixture.teardown?.()
    }
  }

  const pointsOf = async (fixture: SplitPointsFixture, splitOptions: SplitPointsOptions, section?: { prefix: string }): Promise<string[]> => {
    const store = fixture.open(section)
    try {
      assert.ok(store.splitPoints !== undefined, 'the store offers splitPoints')
      const points = await store.splitPoints(splitOptions)
      assert.ok(Array.isArray(points) && points.every(point => typeof point === 'string'), 'splitPoints resolves to an array of strings')
      assert.deepEqual([...points].sort(compareKeys), points, 'the points are in byte order')
      assert.equal(new Set(points).size, points.length, 'no point is given twice')
      return points
    } finally {
      await store.close()
    }
  }

  const rejectsWithTypeError = async (fixture: SplitPointsFixture, splitOptions: SplitPointsOptions): Promise<void> => {
    await assert.rejects(pointsOf(fixture, splitOptions), TypeError, `splitPoints(${JSON.stringify(splitOptions)}) is a TypeError`)
  }

  test(`${name}: the points are the prefixes a delimited listing reveals, level after level, until there are count of them, in byte order`, async () => {
    await withFixture(NESTED, async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 3 }), FIRST_LEVEL)
      assert.deepEqual(await pointsOf(fixture, { count: 3, delimiter: '/' }), FIRST_LEVEL)
      // three on the first level are not four: the second level is read too, the third not
      assert.deepEqual(await pointsOf(fixture, { count: 4 }), TWO_LEVELS)
      assert.deepEqual(await pointsOf(fixture, { count: 100 }), EVERY_LEVEL)
    })
  })

  test(`${name}: byte order of the names, awkward and non-ASCII ones too, not the order of JavaScript strings`, async () => {
    const held = AWKWARD.filter(([key]) => canHold(key))
    await withFixture(held.map(([key]) => key), async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 100 }), held.map(([, point]) => point))
    })
  })

  test(`${name}: descent stops at ${depth} levels, however few points were found`, async () => {
    const levels = Array.from({ length: depth + 2 }, (_, i) => String(i + 1))
    await withFixture([`${levels.join('/')}/file`], async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 100 }), levels.slice(0, depth).map((_, i) => `${levels.slice(0, i + 1).join('/')}/`))
    })
  })

  test(`${name}: a prefix given keeps the points under it, whether it ends at a level or inside a name`, async () => {
    await withFixture(NESTED, async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 100, prefix: 'images/' }), ['images/2023/', 'images/2024/', 'images/2024/deep/'])
      assert.deepEqual(await pointsOf(fixture, { count: 1, prefix: 'images/2024' }), ['images/2024/'])
      assert.deepEqual(await pointsOf(fixture, { count: 1, prefix: 'im' }), ['images/'])
      assert.deepEqual(await pointsOf(fixture, { count: 100, prefix: 'nothing/here/' }), [])
    })
  })

  test(`${name}: the section's own prefix keeps the points under it, and a prefix given replaces it`, async context => {
    if (supports.sectionPrefix === false) {
      context.skip?.('the store\'s section has no prefix of its own')
      return
    }
    await withFixture(NESTED, async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 1 }, { prefix: 'images/' }), ['images/2023/', 'images/2024/'])
      assert.deepEqual(await pointsOf(fixture, { count: 1, prefix: 'docs/' }, { prefix: 'images/' }), ['docs/a/', 'docs/b/'])
    })
  })

  if (supports.otherDelimiters === false) {
    test(`${name}: a store split only at '/' refuses another delimiter with a TypeError`, async () => {
      await withFixture(NESTED, async fixture => {
        await rejectsWithTypeError(fixture, { count: 4, delimiter: '-' })
      })
    })
  } else {
    test(`${name}: another delimiter cuts at its own prefixes`, async () => {
      await withFixture(['2024-01-a', '2024-01-b', '2024-02-a', '2025-01-a'], async fixture => {
        assert.deepEqual(await pointsOf(fixture, { count: 8, delimiter: '-' }), ['2024-', '2024-01-', '2024-02-', '2025-', '2025-01-'])
        assert.deepEqual(await pointsOf(fixture, { count: 8 }), [])
      })
    })
  }

  test(`${name}: an empty store and a flat one give no points, and keydiff's own work area is never one`, async () => {
    await withFixture([], async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 8 }), [])
    })
    await withFixture(['a', 'b', 'c'], async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 8 }), [])
    })
    await withFixture(['.keydiff/lock', '.keydiff/runs/1/part', 'data/x', 'data/.keydiff/y'], async fixture => {
      assert.deepEqual(await pointsOf(fixture, { count: 8 }), ['data/'])
    })
  })

  test(`${name}: a count that is not a positive integer, or an empty delimiter, is a TypeError`, async () => {
    await withFixture(['a/b'], async fixture => {
      for (const count of [0, -1, 1.5]) await rejectsWithTypeError(fixture, { count })
      await rejectsWithTypeError(fixture, { count: 2, delimiter: '' })
    })
  })

  test(`${name}: a namespace that does not exist fails with KEYDIFF_SOURCE_NOT_FOUND, naming it`, async () => {
    await withFixture(['a/b'], async fixture => {
      await fixture.remove()
      await assert.rejects(pointsOf(fixture, { count: 4 }), (error: unknown) => {
        assert.ok(error instanceof Error && error.message.startsWith('[keydiff]'), `expected a keydiff error, got ${String(error)}`)
        assert.equal((error as { code?: unknown }).code, 'KEYDIFF_SOURCE_NOT_FOUND', error.message)
        assert.ok(error.message.includes(fixture.namespace), `the failure should name ${fixture.namespace}: ${error.message}`)
        return true
      })
    })
  })
}
