import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, spillReferenceSet, type KeyBatch, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

const work = mkdtempSync(join(tmpdir(), 'keydiff-spill-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.string({ unit: 'binary', maxLength: 4 }),
  fc.constantFrom('', 'a', 'blobs/ab/cd/', '\u{1F600}', '\uFFFD'),
  fc.tuple(fc.constantFrom('blobs/ab/cd/0123456789abcdef', 'x'.repeat(300)), fc.string({ maxLength: 3 })).map(([prefix, tail]) => prefix + tail)
)
const keysArb = fc.array(keyArb, { maxLength: 80 })
const splitArb = fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 6 })

function source (keys: readonly string[], sizes: readonly number[], name: string, entry: (key: string) => KeyEntry = key => ({ key })): KeySource {
  return keySource(function * (): Generator<KeyBatch> {
    let i = 0
    let s = 0
    while (i < keys.length) {
      const size = sizes[s++ % sizes.length] as number
      yield keys.slice(i, i + size).map(entry)
      i += size
    }
  }, { name })
}

/** The keys of `a` not in `b`, each once, in the order of their first appearance in `a`. */
const minusInOrder = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key))
}
const minus = (a: readonly string[], b: readonly string[]): string[] => minusInOrder(a, b).sort(compareKeys)

test('exact with a budget that forces spilling equals a Set difference, orphans once each and in input order, missing once each', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, splitArb, splitArb, fc.integer({ min: 0, max: 40 }), fc.constantFrom(1, 2, 16), fc.boolean(), fc.constantFrom(undefined, 1, 5, 32),
    async (candidates, references, cSplit, rSplit, maxInMemory, partitions, missing, orphanWindow) => {
      const orphans: KeyEntry[] = []
      const missed: string[] = []
      const run = diff({
        candidates: source(candidates, cSplit, 'candidates', key => ({ key, size: key.length, lastModified: new Date(key.length * 1000), ...(key.length % 2 === 0 ? { version: `v${key}` } : {}) })),
        references: source(references, rSplit, 'references'),
        missing,
        referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory, partitions, ...(orphanWindow === undefined ? {} : { orphanWindow }) })
      })
      for await (const part of run) {
        if (part.kind === 'orphans') orphans.push(...part.entries)
        else missed.push(...part.entries.map(entry => entry.key))
      }
      const keys = orphans.map(entry => entry.key)
      assert.deepEqual(keys, minusInOrder(candidates, references))
      for (const entry of orphans) {
        assert.equal(entry.size, entry.key.length)
        assert.equal(entry.lastModified?.getTime(), entry.key.length * 1000)
        assert.equal(entry.version, entry.key.length % 2 === 0 ? `v${entry.key}` : undefined)
      }
      assert.deepEqual(missed.sort(compareKeys), missing ? minus(references, candidates) : [])
      assert.equal(run.stats.orphans.count, keys.length)
      assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
    }), { numRuns: 300 })
})

test('the default reference set spills past the memory budget and still equals a Set difference', async () => {
  const n = 60_000
  const references = Array.from({ length: n }, (_, i) => `blobs/${(i * 7919 % n).toString(16).padStart(8, '0')}/${i}`)
  const candidates = [...references.filter((_, i) => i % 10 !== 0), ...Array.from({ length: 5000 }, (_, i) => `orphan/${i % 4000}`)]
  const run = diff({
    candidates: source(candidates, [1000], 'candidates'),
    references: source(references, [777], 'references'),
    memory: '1MiB',
    missing: true,
    tmpdir: work
  })
  const orphans: string[] = []
  const missed: string[] = []
  for await (const part of run) (part.kind === 'orphans' ? orphans : missed).push(...part.entries.map(entry => entry.key))
  assert.ok((run.stats.spilledBytes ?? 0) > 0, 'it spilled')
  assert.deepEqual(orphans.sort(compareKeys), minus(candidates, references))
  assert.deepEqual(missed.sort(compareKeys), minus(references, candidates))
  assert.deepEqual(readdirSync(work), [])
})
