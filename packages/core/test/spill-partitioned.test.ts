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
