import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { BloomBudgetError, diff, keysWithin, linesSource, type DiffStats, type KeyBatch, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { bloomDiff } from '../src/engine/bloom-diff.ts'

const work = mkdtempSync(join(tmpdir(), 'keydiff-bloom-passes-'))
after(() => rmSync(work, { recursive: true, force: true }))
let files = 0

function file (keys: readonly string[]): string {
  const path = join(work, `keys-${files++}.txt`)
  writeFileSync(path, keys.map(key => key + '\n').join(''))
  return path
}

function freshStats (): DiffStats {
  return {
    mode: 'bloom',
    strategy: 'hash',
    phase: 'pending',
    candidates: { count: 0, bytes: 0, source: 'candidates' },
    references: { count: 0, source: 'references' },
    orphans: { count: 0, bytes: 0 },
    missing: undefined,
    filter: undefined,
    memoryBudget: 0,
    referenceScanStartedAt: undefined,
    startedAt: undefined,
    durationMs: undefined
  }
}

interface Run { orphans: string[], stats: DiffStats }

/** A bloom diff whose filter may take `filterBytes` (far below the 1 MiB that `diff` allows, to force passes). */
async function bloom (candidates: KeySource, references: KeySource, filterBytes: number, options: { readThread?: boolean, filterOnThreads?: boolean, falsePositiveRate?: number } = {}): Promise<Run> {
  const stats = freshStats()
  const orphans: string[] = []
  for await (const part of bloomDiff({ candidates, references, falsePositiveRate: options.falsePositiveRate ?? 0.01, memory: filterBytes * 2, filterBytes, stats, readThread: options.readThread, filterOnThreads: options.filterOnThreads })) {
    orphans.push(...part.entries.map(entry => entry.key))
  }
  return { orphans, stats }
}

// Keys a file of lines holds as they are: no line breaks, not blank.
const lineKeyArb = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).filter(key => !/[\r\n]/.test(key) && key.trim() !== '' && key.trim() === key),
  fc.integer({ min: 0, max: 5000 }).map(n => `blobs/ab/cd/${n.toString(16).padStart(8, '0')}`)
)

test('several passes: never a reference, each orphan from the candidates, the passes the budget needs', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(lineKeyArb, { maxLength: 400 }),
    fc.array(lineKeyArb, { maxLength: 400 }),
    fc.integer({ min: 1, max: 6 }),
    fc.boolean(),
    fc.boolean(),
    async (candidates, references, blocks, estimated, threaded) => {
      const filterBytes = 32 * blocks
      // A thread starts for every pass: only where the passes are few.
      const readThread = threaded && blocks >= 4
      const source = (keys: string[]): KeySource => linesSource(file(keys), estimated ? {} : { estimatedCount: 1 })
      const { orphans, stats } = await bloom(source(candidates), source(references), filterBytes, { readThread, filterOnThreads: readThread })
      const referenced = new Set(references)
      const candidateSet = new Set(candidates)
      for (const key of orphans) {
        assert.ok(!referenced.has(key), `reported a reference: ${key}`)
        assert.ok(candidateSet.has(key), `reported a key that is no candidate: ${key}`)
      }
      // Every pass's filter held its partition at the rate, with the margin it is sized for.
      assert.ok((stats.filter?.estimatedFalsePositiveRate ?? 0) <= 0.0075, String(stats.filter?.estimatedFalsePositiveRate))
      const distinct = new Set(references).size
      if (distinct > 2 * keysWithin(blocks, 0.0075)) assert.ok((stats.filter?.passes as number) > 1, `${stats.filter?.passes} passes for ${distinct} references`)
      assert.equal(stats.references.count, references.length)
      assert.equal(stats.candidates.count, candidates.length)
      assert.equal(stats.orphans.count, orphans.length)
    }
  ), { numRuns: 40 })
})

test('several passes find at least 1 - rate of the orphans, each pass filtering its own share', async () => {
  const references = Array.from({ length: 120_000 }, (_, i) => `blobs/${i.toString(36)}/ref`)
  const orphanKeys = Array.from({ length: 40_000 }, (_, i) => `blobs/${i.toString(36)}/orphan`)
  const candidates = [...references.filter((_, i) => i % 3 !== 0), ...orphanKeys]
  const referencePath = file(references)
  const candidatePath = file(candidates)
  for (const rate of [0.01, 0.05]) {
    // 16 KiB of filter holds about 11k references at 1%: about 16 passes.
    const { orphans, stats } = await bloom(linesSource(candidatePath), linesSource(referencePath), 16 * 1024, { falsePositiveRate: rate })
    const found = new Set(orphans)
    assert.ok(orphans.every(key => key.endsWith('/orphan')))
    assert.ok(found.size >= (1 - rate) * orphanKeys.length, `rate ${rate}: found ${found.size} of ${orphanKeys.length}`)
    assert.ok((stats.filter?.passes as number) >= 8, `passes ${stats.filter?.passes}`)
    assert.ok((stats.filter?.estimatedFalsePositiveRate as number) <= rate)
  }
})

test('an estimate far too low: a pass whose references overflow its filter is split and made again', async () => {
  const references = Array.from({ length: 30_000 }, (_, i) => `r${i}`)
  const orphanKeys = Array.from({ length: 10_000 }, (_, i) => `o${i}`)
  const { orphans, stats } = await bloom(linesSource(file([...orphanKeys, ...references])), linesSource(file(references), { estimatedCount: 10 }), 4096)
  assert.ok(new Set(orphans).size >= 0.99 * orphanKeys.length, `found ${orphans.length}`)
  assert.ok(orphans.every(key => key.startsWith('o')))
  assert.equal(stats.references.count, references.length)
  assert.ok((stats.filter?.passes as number) > 1)
})

test('references repeated far past what the filter holds by count (their distinct count estimated): one pass, its rate measured from its bits', async () => {
  const references = Array.from({ length: 60_000 }, (_, i) => `r${i % 50}`)
  const { orphans, stats } = await bloom(linesSource(file(['x', 'r1', 'y'])), linesSource(file(references), { estimatedCount: 50 }), 1024)
  assert.deepEqual(orphans.sort(), ['x', 'y'])
  assert.equal(stats.filter?.passes, 1)
  assert.ok((stats.filter?.estimatedFalsePositiveRate as number) < 0.0075)
})

test('references that cannot be read again and need several passes: a BloomBudgetError naming the memory, before any candidate is read', async () => {
  let candidatesRead = false
  const candidates = keySource(function * (): Generator<KeyBatch> {
    candidatesRead = true
    yield [{ key: 'x' }]
  }, { name: 'candidates' })
  const batches = (count: number, estimatedCount?: number): KeySource => keySource(function * (): Generator<KeyBatch> {
    for (let i = 0; i < count; i += 1000) yield Array.from({ length: Math.min(1000, count - i) }, (_, j) => ({ key: `k${i + j}` }))
  }, { name: 'references', estimatedCount })
  // Known from the estimate: refused before the references are read.
  await assert.rejects(bloom(candidates, batches(20_000, 20_000), 1024), (error: unknown) => {
    assert.ok(error instanceof BloomBudgetError)
    assert.equal(error.code, 'KEYDIFF_MEMORY_EXCEEDED')
    assert.equal(error.references, 20_000)
    assert.ok((error.neededMemory as number) >= 20_000 * 11 / 8 * 2, String(error.neededMemory))
    assert.match(error.message, /give it memory [\d.]+ MiB/)
    return true
  })
  // Known once the references are read: refused then.
  await assert.rejects(bloom(candidates, batches(20_000), 1024), BloomBudgetError)
  assert.equal(candidatesRead, false)
  // Enough memory for one pass: the same sources work.
  const { orphans, stats } = await bloom(candidates, batches(20_000), 64 * 1024)
  assert.deepEqual(orphans, ['x'])
  assert.equal(stats.filter?.passes, 1)
})

test('diff() in bloom mode at 1 MiB makes passes over files too large for one filter, and says so in its stats', async () => {
  const references = Array.from({ length: 450_000 }, (_, i) => `blobs/${i.toString(16).padStart(8, '0')}`)
  const orphanKeys = Array.from({ length: 20_000 }, (_, i) => `orphans/${i}`)
  const run = diff({ candidates: linesSource(file([...references.slice(0, 1000), ...orphanKeys])), references: linesSource(file(references)), mode: 'bloom', memory: '1MiB' })
  const found = new Set<string>()
  for await (const part of run) for (const entry of part.entries) found.add(entry.key)
  assert.ok(found.size >= 0.99 * orphanKeys.length && [...found].every(key => key.startsWith('orphans/')), `found ${found.size}`)
  assert.ok((run.stats.filter?.passes as number) >= 2, `passes ${run.stats.filter?.passes}`)
  assert.ok((run.stats.filter?.estimatedFalsePositiveRate as number) <= 0.01)
  assert.equal(run.stats.references.count, references.length)
})

test('references added and candidates checked on the reading thread, in every pass: the orphans, in order, and the passes of a diff here', async () => {
  await fc.assert(fc.asyncProperty(fc.array(lineKeyArb, { maxLength: 400 }), fc.array(lineKeyArb, { maxLength: 400 }), fc.integer({ min: 1, max: 8 }), async (candidates, references, blocks) => {
    const c = file(candidates)
    const r = file(references)
    const here = await bloom(linesSource(c), linesSource(r), 32 * blocks, { readThread: false })
    const checked = await bloom(linesSource(c), linesSource(r), 32 * blocks, { readThread: true, filterOnThreads: true })
    assert.deepEqual(checked.orphans, here.orphans)
    // Each pass's references counted on the thread as here: the same passes, at the same rates.
    assert.deepEqual(checked.stats.filter, here.stats.filter)
    assert.equal(checked.stats.candidates.count, candidates.length)
    assert.equal(checked.stats.orphans.count, here.orphans.length)
  }), { numRuns: 15 })
})
