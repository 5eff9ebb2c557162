import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, KeydiffError, type DiffOptions, type KeyBatch, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

// Keys that stress the engine: any unicode, empty strings, long shared prefixes, repeats.
const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('', 'a', 'blobs/ab/cd/', '\u{1F600}', '\uFFFD'),
  fc.tuple(fc.constantFrom('blobs/ab/cd/0123456789abcdef', 'x'.repeat(300)), fc.string({ maxLength: 3 })).map(([prefix, tail]) => prefix + tail)
)
const keysArb = fc.array(keyArb, { maxLength: 60 })
const splitArb = fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 })

/** Cuts keys into batches of the given sizes (cycled), as any source might. */
function source (keys: readonly string[], sizes: readonly number[], sorted: boolean, name: string): KeySource {
  const ordered = sorted ? [...keys].sort(compareKeys) : keys
  return keySource(function * (): Generator<KeyBatch> {
    let i = 0
    let s = 0
    while (i < ordered.length) {
      const size = sizes[s++ % sizes.length] as number
      yield ordered.slice(i, i + size).map(key => ({ key, size: key.length }))
      i += size
    }
  }, { name, sorted })
}

async function run (options: DiffOptions): Promise<{ orphans: string[], missing: string[] }> {
  const orphans: string[] = []
  const missing: string[] = []
  for await (const part of diff(options)) (part.kind === 'orphans' ? orphans : missing).push(...part.entries.map(entry => entry.key))
  return { orphans, missing }
}

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key)).sort(compareKeys)
}
const sortedUnique = (keys: string[]): string[] => [...keys].sort(compareKeys)

const strategies = [
  { name: 'merge (both sorted)', sorted: true },
  { name: 'hash (unsorted)', sorted: false }
]

for (const { name, sorted } of strategies) {
  test(`exact ${name}: orphans and missing equal a Set difference, each once`, async () => {
    await fc.assert(fc.asyncProperty(keysArb, keysArb, splitArb, splitArb, async (candidates, references, cSplit, rSplit) => {
      const got = await run({
        candidates: source(candidates, cSplit, sorted, 'candidates'),
        references: source(references, rSplit, sorted, 'references'),
        missing: true
      })
      assert.deepEqual(sortedUnique(got.orphans), minus(candidates, references))
      assert.equal(got.orphans.length, new Set(got.orphans).size, 'each orphan once')
      assert.deepEqual(sortedUnique(got.missing), minus(references, candidates))
      assert.equal(got.missing.length, new Set(got.missing).size, 'each missing key once')
    }), { numRuns: 300 })
  })
}

test('exact: several reference sources are unioned (sorted and unsorted inputs)', async () => {
  await fc.assert(fc.asyncProperty(keysArb, fc.array(keysArb, { minLength: 1, maxLength: 4 }), splitArb, fc.boolean(), async (candidates, referenceLists, split, sorted) => {
    const got = await run({
      candidates: source(candidates, split, sorted, 'candidates'),
      references: referenceLists.map((list, i) => source(list, split, sorted, `references-${i}`))
    })
    assert.deepEqual(sortedUnique(got.orphans), minus(candidates, referenceLists.flat()))
  }), { numRuns: 200 })
})

test('bloom: a subset of the exact orphans that never holds a referenced key', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, splitArb, fc.constantFrom(0.5, 0.1, 0.01), async (candidates, references, split, falsePositiveRate) => {
    const got = await run({
      candidates: source(candidates, split, false, 'candidates'),
      references: source(references, split, false, 'references'),
      mode: 'bloom',
      falsePositiveRate
    })
    const referenced = new Set(references)
    const exact = new Set(minus(candidates, references))
    for (const key of got.orphans) {
      assert.ok(!referenced.has(key), `referenced key ${JSON.stringify(key)} reported as an orphan`)
      assert.ok(exact.has(key))
    }
  }), { numRuns: 300 })
})

test('bloom: finds nearly all orphans at the default rate', async () => {
  const references = Array.from({ length: 20_000 }, (_, i) => `blobs/${i.toString(16).padStart(8, '0')}`)
  const candidates = references.concat(Array.from({ length: 5_000 }, (_, i) => `orphans/${i}`))
  const got = await run({ candidates: source(candidates, [1000], false, 'c'), references: source(references, [1000], false, 'r'), mode: 'bloom' })
  assert.ok(got.orphans.length >= 0.98 * 5_000, `found ${got.orphans.length} of 5000`)
  assert.ok(got.orphans.every(key => key.startsWith('orphans/')))
})

test('a sorted claim that is false fails the run, naming both keys', async () => {
  const candidates = keySource([[{ key: 'a' }, { key: 'c' }], [{ key: 'b' }]], { name: 'listing', sorted: true })
  const references = keySource([[{ key: 'a' }]], { name: 'refs', sorted: true })
  await assert.rejects(run({ candidates, references }), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_NOT_SORTED')
    assert.match(error.message, /listing.*"b".*"c"/)
    return true
  })
})

test('a reference source that breaks mid-stream fails the run: no partial answer', async () => {
  for (const sorted of [true, false]) {
    const references = keySource(async function * () {
      yield [{ key: 'a' }]
      throw new Error('connection reset')
    }, { name: 'db', sorted })
    const candidates = keySource([[{ key: 'a' }, { key: 'b' }]], { name: 'bucket', sorted })
    await assert.rejects(run({ candidates, references }), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_SOURCE_FAILED' && /db/.test(error.message))
  }
})

test('stats count candidates, references, orphans and bytes', async () => {
  const d = diff({
    candidates: keySource([[{ key: 'a', size: 10 }, { key: 'b', size: 5 }, { key: 'c', size: 1 }]], { name: 'c' }),
    references: keySource([[{ key: 'b' }, { key: 'z' }]], { name: 'r' }),
    missing: true
  })
  for await (const part of d) assert.ok(part.entries.length > 0)
  assert.equal(d.stats.phase, 'done')
  assert.equal(d.stats.strategy, 'hash')
  assert.deepEqual([d.stats.candidates.count, d.stats.candidates.bytes, d.stats.references.count], [3, 16, 2])
  assert.deepEqual(d.stats.orphans, { count: 2, bytes: 11 })
  assert.deepEqual(d.stats.missing, { count: 1 })
  // The default exact set (fingerprints, spilled past the budget) is exact on its own: no filter.
  assert.equal(d.stats.filter, undefined)
  assert.equal(d.stats.spilledBytes, 0)
  assert.ok(typeof d.stats.referenceScanStartedAt === 'string')
})

test('bad options are refused before any work', () => {
  const empty = keySource([], { name: 'e' })
  assert.throws(() => diff({ candidates: empty, references: empty, mode: 'fuzzy' as 'exact' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => diff({ candidates: empty, references: empty, mode: 'bloom', missing: true }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => diff({ candidates: empty, references: empty, memory: 'lots' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => diff({ candidates: empty, references: empty, strategy: 'merge' }), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('an aborted diff stops with KEYDIFF_ABORTED', async () => {
  const controller = new AbortController()
  const candidates = keySource(async function * () {
    for (let i = 0; ; i++) {
      if (i === 3) controller.abort()
      yield [{ key: `k${i}` }]
    }
  }, { name: 'endless' })
  await assert.rejects(run({ candidates, references: keySource([], { name: 'none' }), signal: controller.signal }), { code: 'KEYDIFF_ABORTED' })
})
