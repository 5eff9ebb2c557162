import assert from 'node:assert/strict'
import { lineChunksOf, lineText } from '../engine/line-chunks.ts'
import { isRetryableCode } from '../errors.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import type { SourceCapabilities } from '../contracts/source-capabilities.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

/**
 * What the suite is told beside what the source declares (`source.supports`, read from a
 * source the factory makes over no keys): whether the source must declare itself sorted, and
 * whether the factory can break it. The capability fields override the source's declaration,
 * for a stand-in that holds less than the store it stands in for (s3rver keeps keys as file
 * paths); an adapter declares its store's capabilities on its sources instead.
 */
export interface KeySourceSupports extends SourceCapabilities {
  /** The source lists in UTF-8 byte order and declares `sorted`. */
  sorted?: boolean
  /** The factory honours `failAfter`: the source breaks after about that many keys. */
  failure?: boolean
}

export interface KeySourceFixtureOptions {
  /** Make the source fail (throw) after about this many keys have been yielded. */
  failAfter?: number
}

/**
 * Makes a source over exactly these entries in a fresh namespace. Sizes are given for
 * stores that keep them (write objects of that size, or record it).
 */
export type KeySourceFactory = (entries: readonly KeyEntry[], options: KeySourceFixtureOptions) => Promise<Fixture<KeySource>>

export interface KeySourceSuiteOptions {
  test: TestFunction
  factory: KeySourceFactory
  supports?: KeySourceSupports
  /** Prefix for test names. @default 'key source' */
  name?: string
}

const PAGE_BOUNDARIES = [0, 1, 999, 1000, 1001, 2500]

/** The codes a stream that breaks in the middle may fail with: the store failed, or its server went away. */
const STREAM_FAILURES = ['KEYDIFF_SOURCE_FAILED', 'KEYDIFF_CONNECTION_FAILED']

/** Keys that break naive encoders: URL-reserved and escaped characters, unicode, length. */
export function awkwardKeys (supports: KeySourceSupports = {}): string[] {
  const maxBytes = supports.maxKeyBytes ?? 1024
  const keys = [
    'plain/key.txt',
    'with space/and  two  spaces .txt',
    ' leading and trailing ',
    'plus+sign+key',
    'percent%20encoded%2Fnot',
    'hash#fragment',
    'question?mark=1&and=2',
    'semi;colon,comma',
    'quote"double\'single',
    'back\\slash',
    'équipe/café/naïve',
    '日本語/キー',
    'emoji/🙂/🚀',
    'astral/\u{10348}\u{1F600}',
    'bmp-high/\uFFFD\uE000',
    'a//double//slash',
    'trailing/slash/',
    '~tilde*star!bang(paren)[bracket]{brace}',
    '=equals@at$dollar&amp',
    'x'.repeat(Math.min(1000, maxBytes - 10))
  ]
  if (supports.controlCharacters === true) keys.push('tab\there', 'ctrl\u0001char')
  return keys.filter(key => Buffer.byteLength(key) <= maxBytes && (supports.emptySegments !== false || !(key.includes('//') || key.endsWith('/'))))
}

async function collect (source: KeySource): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) {
    assert.ok(Array.isArray(batch), `${source.name} must yield arrays of entries`)
    for (const entry of batch) out.push(entry)
  }
  return out
}

function pageKeys (count: number): KeyEntry[] {
  return Array.from({ length: count }, (_, i) => ({ key: `page/${String(i).padStart(6, '0')}`, size: i % 97 }))
}

/**
 * The conformance suite every key source runs against its own server: awkward keys
 * round-trip, page boundaries lose and repeat nothing, a sorted claim holds, the line chunks
 * of a source that offers them hold the keys its batches do, and an error in the middle of a
 * stream fails the stream with KEYDIFF_SOURCE_FAILED or KEYDIFF_CONNECTION_FAILED.
 */
export function keySourceSuite (options: KeySourceSuiteOptions): void {
  const { test, factory } = options
  const told = options.supports ?? {}
  const name = options.name ?? 'key source'
  let declared: Promise<SourceCapabilities> | undefined
  /** What the source declares, read once from one over no keys, with what the suite was told over it. */
  const capabilities = async (): Promise<KeySourceSupports> => {
    declared ??= (async () => {
      const probe = await factory([], {})
      try {
        return probe.subject.supports ?? {}
      } finally {
        await probe.teardown?.()
      }
    })()
    return { ...await declared, ...told }
  }

  const withFixture = async (entries: readonly KeyEntry[], fixtureOptions: KeySourceFixtureOptions, fn: (source: KeySource) => Promise<void>): Promise<void> => {
    const fixture = await factory(entries, fixtureOptions)
    try {
      await fn(fixture.subject)
    } finally {
      await fixture.teardown?.()
    }
  }

  test(`${name}: awkward keys round-trip exactly`, async () => {
    const keys = awkwardKeys(await capabilities())
    await withFixture(keys.map(key => ({ key, size: 3 })), {}, async source => {
      const got = (await collect(source)).map(entry => entry.key)
      assert.deepEqual([...got].sort(compareKeys), [...keys].sort(compareKeys))
    })
  })

  for (const count of PAGE_BOUNDARIES) {
    test(`${name}: ${count} keys: none lost, none repeated`, async () => {
      const supports = await capabilities()
      const entries = pageKeys(count)
      await withFixture(entries, {}, async source => {
        const got = await collect(source)
        assert.equal(got.length, count)
        assert.deepEqual(got.map(entry => entry.key).sort(compareKeys), entries.map(entry => entry.key))
        if (supports.sizes === true) {
          const sizes = new Map(entries.map(entry => [entry.key, entry.size]))
          for (const entry of got) assert.equal(entry.size, sizes.get(entry.key), `size of ${entry.key}`)
        }
        if (supports.lastModified === true) {
          for (const entry of got) assert.ok(entry.lastModified instanceof Date && !Number.isNaN(entry.lastModified.getTime()), `lastModified of ${entry.key}`)
        }
      })
    })
  }

  test(`${name}: a sorted claim holds in UTF-8 byte order`, async () => {
    const supports = await capabilities()
    const keys = awkwardKeys(supports).concat(pageKeys(1200).map(entry => entry.key))
    await withFixture(keys.map(key => ({ key, size: 1 })), {}, async source => {
      if (supports.sorted === true) assert.equal(source.sorted, true, `${source.name} should declare itself sorted`)
      const got = (await collect(source)).map(entry => entry.key)
      if (source.sorted) {
        for (let i = 1; i < got.length; i++) {
          assert.ok(compareKeys(got[i - 1] as string, got[i] as string) <= 0, `${JSON.stringify(got[i])} came after ${JSON.stringify(got[i - 1])}`)
        }
      }
      assert.equal(got.length, keys.length)
    })
  })

  test(`${name}: where the source offers its keys as line chunks, they are the keys its batches yield`, async context => {
    const keys = awkwardKeys(await capabilities()).filter(key => !/[\r\n]/.test(key)).concat(pageKeys(2500).map(entry => entry.key))
    await withFixture(keys.map(key => ({ key, size: 1 })), {}, async source => {
      const chunks = lineChunksOf(source)
      if (chunks === undefined) {
        context.skip?.(`${source.name} offers no line chunks`)
        return
      }
      const viaChunks: string[] = []
      for await (const chunk of chunks()) {
        for (let i = 0; i < chunk.length; i++) viaChunks.push(lineText(chunk, i))
      }
      assert.deepEqual(viaChunks.sort(compareKeys), [...keys].sort(compareKeys), `${source.name}: the line chunks hold other keys than were stored`)
      const viaBatches = (await collect(source)).map(entry => entry.key)
      assert.deepEqual(viaBatches.sort(compareKeys), viaChunks, `${source.name}: the batches and the line chunks disagree`)
    })
  })

  if (told.failure === true) {
    test(`${name}: an error in the middle of the stream fails the stream`, async () => {
      const entries = pageKeys(2500)
      await withFixture(entries, { failAfter: 1200 }, async source => {
        let seen = 0
        await assert.rejects(async () => {
          for await (const batch of source) seen += batch.length
        }, (error: unknown) => {
          // The shape, not instanceof: the adapter may be built against another copy of core.
          assert.ok(error instanceof Error && error.message.startsWith('[keydiff]'), `expected a keydiff error, got ${String(error)}`)
          const code = (error as { code?: unknown }).code
          assert.ok(typeof code === 'string' && STREAM_FAILURES.includes(code), `a stream that breaks fails with ${STREAM_FAILURES.join(' or ')}, got ${String(code)}: ${error.message}`)
          assert.equal(isRetryableCode(code), true, 'a stream that broke may be read through on a later try')
          return true
        })
        assert.ok(seen < entries.length, `the stream yielded all ${seen} keys and then failed; it should fail mid-stream`)
      })
    })
  }
}
