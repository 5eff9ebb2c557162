import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, linesSource, spillReferenceSet, type DiffOptions } from '@keydiff/core'
import { keysArb, keysSource as source } from './keys-fixture.ts'

// A plan's guard needs only how many references name nothing stored: `missing: 'count'`
// counts them where the drain finds them (the default set keeps no reference's key, and drains
// on every thread) and yields none. The count must be the Set difference's size whatever the
// set, its budget, its partitions and threads, the strategy, or how the files are read.
const work = mkdtempSync(join(tmpdir(), 'keydiff-missing-count-test-'))
const files = mkdtempSync(join(tmpdir(), 'keydiff-missing-count-files-'))
after(() => {
  rmSync(work, { recursive: true, force: true })
  rmSync(files, { recursive: true, force: true })
})

const missingOf = (references: readonly string[], candidates: readonly string[]): number => {
  const stored = new Set(candidates)
  return new Set(references.filter(key => !stored.has(key))).size
}
const orphansOf = (candidates: readonly string[], references: readonly string[]): string[] => {
  const referenced = new Set(references)
  return [...new Set(candidates)].filter(key => !referenced.has(key)).sort(compareKeys)
}

async function counted (options: DiffOptions): Promise<{ orphans: string[], missing: number | undefined }> {
  const run = diff({ ...options, missing: 'count' })
  const orphans: string[] = []
  for await (const part of run) {
    assert.equal(part.kind, 'orphans', 'a counted run yields no missing keys')
    orphans.push(...part.entries.map(entry => entry.key))
  }
  return { orphans: orphans.sort(compareKeys), missing: run.stats.missing?.count }
}

test('counted missing references are the Set difference\'s, in memory and spilled, on one drain thread or two', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.constantFrom(undefined, 0, 3, 40), fc.constantFrom(1, 2, 16), fc.constantFrom(1, 2), async (candidates, references, maxInMemory, partitions, drainThreads) => {
    const got = await counted({
      candidates: source(candidates, 'candidates'),
      references: source(references, 'references'),
      referenceSet: spillReferenceSet({ tmpdir: work, ...(maxInMemory === undefined ? {} : { maxInMemory, partitions, drainThreads }) })
    })
    assert.equal(got.missing, missingOf(references, candidates))
    assert.deepEqual(got.orphans, orphansOf(candidates, references))
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }), { numRuns: 150 })
})

test('a sorted merge counts the missing references without yielding them', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, async (candidates, references) => {
    const sorted = (keys: readonly string[]): string[] => [...keys].sort(compareKeys)
    const got = await counted({ candidates: source(sorted(candidates), 'candidates', true), references: source(sorted(references), 'references', true), strategy: 'merge' })
    assert.equal(got.missing, missingOf(references, candidates))
    assert.deepEqual(got.orphans, orphansOf(candidates, references))
  }), { numRuns: 100 })
})

test('files read by threads: the references\' records go alone, and the count is the one yielding the keys gives', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.integer({ min: 1, max: 3 }), async (candidates, references, threads) => {
    const c = join(files, 'c.txt')
    const r = join(files, 'r.txt')
    writeFileSync(c, candidates.join('\n'))
    writeFileSync(r, references.join('\r\n') + '\n')
    const options = { candidates: linesSource(c), references: linesSource(r), readThread: true, threads, memory: '4MiB', referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions: 4 }) }
    const got = await counted(options)
    const yielding = diff({ ...options, candidates: linesSource(c), references: linesSource(r), missing: true, referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions: 4 }) })
    let missing = 0
    for await (const part of yielding) if (part.kind === 'missing') missing += part.entries.length
    assert.equal(got.missing, missing)
    assert.equal(got.missing, missingOf(references, candidates))
    assert.deepEqual(got.orphans, orphansOf(candidates, references))
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }), { numRuns: 40 })
})

test('a reference matched before the set spilled is not counted missing, and one missing then is', async () => {
  // Ten references in memory, then a spill at the eleventh: the table's states go to the partitions.
  const references = Array.from({ length: 30 }, (_, i) => `r${i}`)
  const candidates = ['r0', 'r5', 'r29', 'orphan']
  const got = await counted({ candidates: source(candidates, 'candidates'), references: source(references, 'references'), referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 10, partitions: 2, drainThreads: 2 }) })
  assert.equal(got.missing, 27)
  assert.deepEqual(got.orphans, ['orphan'])
})
