import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, spillReferenceSet, type KeyBatch } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { DrainThread, PartitionClaims } from '../src/spill/drain-thread.ts'
import { OrphanMarks } from '../src/spill/orphan-marks.ts'
import type { PartitionFiles } from '../src/spill/partition-drain.ts'
import type { SpillPart } from '../src/spill/partition-files.ts'
import { spillDirAt } from '../src/spill/work-dir.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-drain-threads-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const batches = (keys: readonly string[], size: number): KeyBatch[] =>
  Array.from({ length: Math.ceil(keys.length / size) }, (_, i) => keys.slice(i * size, (i + 1) * size).map(key => ({ key })))

test('with two drain threads, exact with a budget that forces spilling still equals a Set difference, orphans once each and in input order', async () => {
  const keyArb = fc.oneof(fc.string({ maxLength: 5 }), fc.integer({ min: 0, max: 300 }).map(n => `blobs/${n}`))
  await fc.assert(fc.asyncProperty(fc.array(keyArb, { maxLength: 400 }), fc.array(keyArb, { maxLength: 400 }), fc.integer({ min: 0, max: 50 }), fc.constantFrom(1, 4, 16), fc.boolean(),
    async (candidates, references, maxInMemory, partitions, missing) => {
      const orphans: string[] = []
      const missed: string[] = []
      const run = diff({
        candidates: keySource(batches(candidates, 7), { name: 'candidates' }),
        references: keySource(batches(references, 11), { name: 'references' }),
        missing,
        referenceSet: spillReferenceSet({ tmpdir: work, maxInMemory, partitions, drainThreads: 2 })
      })
      for await (const part of run) (part.kind === 'orphans' ? orphans : missed).push(...part.entries.map(entry => entry.key))
      const drop = new Set(references)
      assert.deepEqual(orphans, [...new Set(candidates)].filter(key => !drop.has(key)))
      const found = new Set(candidates)
      assert.deepEqual(missed.sort(compareKeys), missing ? [...new Set(references)].filter(key => !found.has(key)).sort(compareKeys) : [])
      assert.deepEqual(readdirSync(work), [], 'the work directory is removed')
    }), { numRuns: 40 })
})

// Partitions written by hand, each in files of its own: fingerprints are four words, and a candidate's ordinal follows its fingerprint.
function writePartition (dir: string, p: number, references: number[][], candidates: Array<[number[], number]>): PartitionFiles {
  const refs = new Uint32Array(references.flatMap(([a, b, c, d]) => [a as number, b as number, c as number, ((d as number) & -4) | 1]))
  const cands = new Uint32Array(candidates.flatMap(([words, ordinal]) => [...words, ordinal, 0]))
  writeFileSync(join(dir, `references-${p}`), refs)
  writeFileSync(join(dir, `candidates-${p}`), cands)
  const whole = (name: string, bytes: number): SpillPart => ({ path: join(dir, name), extents: [0, bytes] })
  return { references: whole(`references-${p}`, refs.byteLength), referenceCount: references.length, numbered: false, candidates: whole(`candidates-${p}`, cands.byteLength), budget: 1024 * 1024, index: p }
}

test('the second drain thread drains every partition it claims and reports its orphans by ordinal', async () => {
  const dir = mkdtempSync(join(work, 'thread-'))
  const fingerprint = (n: number): number[] => [n * 2654435761 >>> 0, n * 40503 >>> 0, n, (n * 97) << 2]
  const partitions: PartitionFiles[] = []
  const orphans: number[] = []
  let ordinal = 0
  for (let p = 0; p < 5; p++) {
    const references = Array.from({ length: 100 }, (_, i) => fingerprint(p * 1000 + i))
    const candidates: Array<[number[], number]> = []
    for (let i = 0; i < 150; i++) {
      // Every third candidate is referenced; the others are orphans, ordinals spread over partitions.
      const referenced = i % 3 === 0
      candidates.push([fingerprint(p * 1000 + (referenced ? i % 100 : 500 + i)), ordinal])
      if (!referenced) orphans.push(ordinal)
      ordinal += 5
    }
    partitions.push(writePartition(dir, p, references, candidates))
  }
  const claims = new PartitionClaims(partitions.length)
  const thread = new DrainThread({ dir, log: 'orphans-helper', logBuffer: 4096, readChunk: 4096, partitions }, claims)
  const { segments, written } = await thread.finished
  thread.stop()
  assert.equal(written, orphans.length * 8)
  const marks = new OrphanMarks(segments, 64, spillDirAt(dir))
  const found: number[] = []
  for (let next = marks.next(0); next >= 0; next = marks.next(next + 1)) found.push(next)
  assert.deepEqual(found, orphans.sort((a, b) => a - b))
  assert.equal(claims.next(), -1, 'no partition is left to claim')
})

test('a drain thread counting missing references reports those of its partitions that no candidate matched', async () => {
  const dir = mkdtempSync(join(work, 'counting-'))
  const fingerprint = (n: number): number[] => [n * 2654435761 >>> 0, n * 40503 >>> 0, n, (n * 97) << 2]
  const partitions: PartitionFiles[] = []
  let missing = 0
  for (let p = 0; p < 4; p++) {
    // Reference p * 1000 + i is matched when i is a multiple of p + 2, once or twice.
    const references = Array.from({ length: 60 }, (_, i) => fingerprint(p * 1000 + i))
    const matched = references.map((_, i) => i).filter(i => i % (p + 2) === 0)
    const candidates: Array<[number[], number]> = [...matched, ...matched.slice(0, 3), 700, 701].map((i, k) => [fingerprint(p * 1000 + i), k])
    missing += references.length - matched.length
    partitions.push(writePartition(dir, p, references, candidates))
  }
  for (const counted of ['count', undefined] as const) {
    const claims = new PartitionClaims(partitions.length)
    const thread = new DrainThread({ dir, log: `orphans-${String(counted)}`, logBuffer: 4096, readChunk: 4096, partitions, missing: counted }, claims)
    const result = await thread.finished
    thread.stop()
    assert.equal(result.missing, counted === 'count' ? missing : 0)
  }
})

test('a drain thread that fails rejects with the error\'s code and message, and stops the claims of the other', async () => {
  const dir = mkdtempSync(join(work, 'failing-'))
  const files = writePartition(dir, 0, [[1, 2, 3, 4]], [[[5, 6, 7, 8], 0]])
  writeFileSync((files.candidates as SpillPart).path, Buffer.alloc(7))
  const claims = new PartitionClaims(3)
  const thread = new DrainThread({ dir, log: 'orphans-helper', logBuffer: 4096, readChunk: 4096, partitions: [files, files, files] }, claims)
  await assert.rejects(thread.finished, (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_SPILL_FAILED')
    assert.match(error.message, /spill file .*candidates-0 is truncated/)
    return true
  })
  thread.stop()
  assert.equal(claims.next(), -1, 'the failure stopped the claims')
})

test('a stopped drain thread ends before it reports, and no partition can be claimed after', async () => {
  const dir = mkdtempSync(join(work, 'stopped-'))
  const files = writePartition(dir, 0, [[1, 2, 3, 4]], [[[5, 6, 7, 8], 0]])
  const claims = new PartitionClaims(1)
  const thread = new DrainThread({ dir, log: 'orphans-helper', logBuffer: 4096, readChunk: 4096, partitions: [files] }, claims)
  thread.stop()
  await assert.rejects(thread.finished, { code: 'KEYDIFF_SPILL_FAILED', message: /exited .* before it reported/ })
  assert.equal(claims.next(), -1)
})
