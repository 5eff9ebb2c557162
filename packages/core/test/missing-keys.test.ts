import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, linesSource, spillReferenceSet, type DiffOptions, type DiffRun } from '@keydiff/core'
import { keysArb, keysSource as source } from './keys-fixture.ts'

// A spill that wants the missing references' keys numbers the references as it numbers the
// candidates: the drain threads log the ordinals of the references no candidate matched, and
// their keys are read back at the end, from the references' own files (on threads or not) or
// from a keys file of the spill's. Whatever the threads, partitions and drain threads, the
// missing keys are the Set difference, each once, in the order the references first name them.
const work = mkdtempSync(join(tmpdir(), 'keydiff-missing-keys-test-'))
const files = mkdtempSync(join(tmpdir(), 'keydiff-missing-keys-files-'))
after(() => {
  rmSync(work, { recursive: true, force: true })
  rmSync(files, { recursive: true, force: true })
})

/** Each key of `keys` that `other` lacks, once, where `keys` first has it. */
const firstsMissing = (keys: readonly string[], other: readonly string[]): string[] => {
  const present = new Set(other)
  return [...new Set(keys)].filter(key => !present.has(key))
}

/** A diff of two files of lines wanting the missing keys, spilled from the start, read and drained by two threads. */
const spilledFiles = (candidates: string, references: string, readBackThread: boolean): DiffRun => diff({
  candidates: linesSource(candidates),
  references: linesSource(references),
  missing: true,
  readThread: true,
  threads: 2,
  referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions: 4, drainThreads: 2, readBackThread })
})

async function run (options: DiffOptions): Promise<{ orphans: string[], missing: string[], counted: number | undefined }> {
  const diffRun = diff({ ...options, missing: true })
  const orphans: string[] = []
  const missing: string[] = []
  for await (const part of diffRun) (part.kind === 'orphans' ? orphans : missing).push(...part.entries.map(entry => entry.key))
  return { orphans, missing, counted: diffRun.stats.missing?.count }
}

test('files read by threads or not: the missing keys read back from the references\' files, in their order, each once', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 4, 16), fc.constantFrom(1, 2), fc.boolean(), async (candidates, references, readThread, threads, partitions, drainThreads, readBackThread) => {
    const c = join(files, 'c.txt')
    const r = join(files, 'r.txt')
    writeFileSync(c, candidates.join('\n'))
    writeFileSync(r, references.join('\r\n') + '\n')
    const got = await run({
      candidates: linesSource(c),
      references: linesSource(r),
      readThread,
      threads,
      memory: '4MiB',
      referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions, drainThreads, readBackThread })
    })
    assert.deepEqual(got.missing, firstsMissing(references, candidates))
    assert.equal(got.counted, got.missing.length)
    assert.deepEqual(got.orphans, firstsMissing(candidates, references))
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }), { numRuns: 30 })
})

test('references that are no files: the missing keys read back from the spill\'s keys file, in their order, each once', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.constantFrom(1, 4, 16), fc.constantFrom(1, 2), async (candidates, references, partitions, drainThreads) => {
    const got = await run({
      candidates: source(candidates, 'candidates'),
      references: source(references, 'references'),
      referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions, drainThreads })
    })
    assert.deepEqual(got.missing, firstsMissing(references, candidates))
    assert.deepEqual(got.orphans, firstsMissing(candidates, references))
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }), { numRuns: 60 })
})

test('a table spilled while the references come: the missing keys are still the Set difference, each once', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, fc.integer({ min: 1, max: 30 }), fc.constantFrom(1, 4), fc.constantFrom(1, 2), async (candidates, references, maxInMemory, partitions, drainThreads) => {
    const got = await run({
      candidates: source(candidates, 'candidates'),
      references: source(references, 'references'),
      referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory, partitions, drainThreads })
    })
    // The keys in the table when it spilled go out in its slots' order: the set is what counts.
    assert.deepEqual([...got.missing].sort(compareKeys), firstsMissing(references, candidates).sort(compareKeys))
    assert.deepEqual(got.orphans, firstsMissing(candidates, references))
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }), { numRuns: 60 })
})

test('a references file changed before its missing keys are read back fails the run, naming it', async () => {
  for (const readBackThread of [false, true]) {
    const c = join(files, `changed-c-${String(readBackThread)}.txt`)
    const r = join(files, `changed-r-${String(readBackThread)}.txt`)
    const keys = Array.from({ length: 3000 }, (_, i) => `blobs/${String(i).padStart(6, '0')}`)
    writeFileSync(c, keys.filter((_, i) => i % 3 !== 0).join('\n') + '\nblobs/orphan\n')
    writeFileSync(r, keys.join('\n') + '\n')
    const missing: string[] = []
    const diffRun = spilledFiles(c, r, readBackThread)
    await assert.rejects(async () => {
      for await (const part of diffRun) {
        // The orphans come first: the references change before their keys are read again.
        if (part.kind === 'orphans') writeFileSync(r, keys.map(key => key.replace('blobs', 'other')).join('\n') + '\n')
        else missing.push(...part.entries.map(entry => entry.key))
      }
    }, (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED', error.message)
      assert.ok(error.message.includes(r), error.message)
      return true
    })
    assert.deepEqual(missing.filter(key => key.startsWith('other')), [], 'no key of the changed file is given as missing')
    assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
  }
})

test('with no missing reference the references\' files are not read again: changed after the orphans came, the run still ends', async () => {
  const c = join(files, 'none-missing-c.txt')
  const r = join(files, 'none-missing-r.txt')
  const keys = Array.from({ length: 3000 }, (_, i) => `blobs/${String(i).padStart(6, '0')}`)
  writeFileSync(c, keys.join('\n') + '\nblobs/orphan\n')
  writeFileSync(r, keys.filter((_, i) => i % 2 === 0).join('\n') + '\n')
  const orphans: string[] = []
  const diffRun = spilledFiles(c, r, true)
  for await (const part of diffRun) {
    assert.equal(part.kind, 'orphans')
    if (orphans.length === 0) writeFileSync(r, 'changed\n')
    orphans.push(...part.entries.map(entry => entry.key))
  }
  assert.deepEqual(orphans, firstsMissing(keys, keys.filter((_, i) => i % 2 === 0)).concat('blobs/orphan'))
  assert.equal(diffRun.stats.missing?.count, 0)
  assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
})
