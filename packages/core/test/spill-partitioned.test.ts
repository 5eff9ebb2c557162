import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, spillReferenceSet, type KeyBatch, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

// More memory is never slower: from a million references on, exact mode partitions them
// whatever the budget (one table of them all is a cache miss a key on one thread). These
// runs announce a million references and hold a few, which takes that path cheaply.
const work = mkdtempSync(join(tmpdir(), 'keydiff-partitioned-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const keysArb = fc.array(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('', 'a', 'blobs/ab/cd/')), { maxLength: 80 })

function source (keys: readonly string[], name: string, estimatedCount?: number): KeySource {
  return keySource(function * (): Generator<KeyBatch> {
    for (let i = 0; i < keys.length; i += 7) yield keys.slice(i, i + 7).map(key => ({ key }))
  }, { name, estimatedCount })
}

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key)).sort(compareKeys)
}

test('a million references expected at a 2GiB budget: partitioned from the start, the same orphans and missing keys as a Set', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.boolean(), async (candidates, references, missing) => {
    const run = diff({
      candidates: source(candidates, 'c'),
      references: source(references, 'r', 1_000_000),
      memory: '2GiB',
      missing,
      referenceSet: spillReferenceSet({ tmpdir: work, drainThreads: 1 })
    })
    const orphans: string[] = []
    const missed: string[] = []
    for await (const part of run) (part.kind === 'orphans' ? orphans : missed).push(...part.entries.map(entry => entry.key))
    assert.deepEqual([...orphans].sort(compareKeys), minus(candidates, references))
    if (missing) assert.deepEqual([...missed].sort(compareKeys), minus(references, candidates))
    assert.ok((run.stats.spilledBytes ?? 0) > 0 || references.length + candidates.length === 0, 'the references were partitioned')
  }), { numRuns: 30 })
  assert.deepEqual(readdirSync(work), [], 'every work directory removed')
})

test('fewer references expected: one table in memory, nothing written', async () => {
  const run = diff({ candidates: source(['a', 'b', 'c'], 'c'), references: source(['b'], 'r', 999_999), memory: '2GiB', referenceSet: spillReferenceSet({ tmpdir: work }) })
  const orphans: string[] = []
  for await (const part of run) orphans.push(...part.entries.map(entry => entry.key))
  assert.deepEqual(orphans.sort(), ['a', 'c'])
  assert.equal(run.stats.spilledBytes ?? 0, 0)
})

test('any number of drain threads claiming partitions from one counter: a Set difference, orphans once each and in input order', async () => {
  const keyArb = fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: 0, max: 300 }).map(n => `blobs/${n}`))
  await fc.assert(fc.asyncProperty(fc.array(keyArb, { maxLength: 300 }), fc.array(keyArb, { maxLength: 300 }), fc.integer({ min: 0, max: 40 }), fc.constantFrom(1, 2, 16), fc.constantFrom(1, 3, 4),
    async (candidates, references, maxInMemory, partitions, drainThreads) => {
      const run = diff({ candidates: source(candidates, 'c'), references: source(references, 'r'), referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory, partitions, drainThreads }) })
      const orphans: string[] = []
      for await (const part of run) orphans.push(...part.entries.map(entry => entry.key))
      const drop = new Set(references)
      assert.deepEqual(orphans, [...new Set(candidates)].filter(key => !drop.has(key)))
    }), { numRuns: 15 })
  assert.deepEqual(readdirSync(work), [], 'every work directory removed')
})

test('threads must be a whole number of at least 1', () => {
  for (const threads of [0, 1.5, Number.NaN]) {
    assert.throws(() => diff({ candidates: source([], 'c'), references: source([], 'r'), threads }), { code: 'KEYDIFF_INVALID_OPTION' })
  }
  assert.throws(() => spillReferenceSet({ drainThreads: 0 }), TypeError)
})
