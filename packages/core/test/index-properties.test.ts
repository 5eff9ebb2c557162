import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { ClassicLevel } from 'classic-level'
import fc from 'fast-check'
import { compareKeys, diffIndex, linesSource, ReferenceIndex, type KeyBatch } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

const work = mkdtempSync(join(tmpdir(), 'keydiff-index-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const META = Buffer.from('\x00meta', 'latin1')
const keyArb = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 5 }), fc.constantFrom('', 'a', 'b', 'blobs/ab/cd/0f', '\u{1F600}'))
const keysArb = fc.array(keyArb, { maxLength: 40 })
const source = (keys: readonly string[], name: string) => keySource(function * (): Generator<KeyBatch> {
  for (let i = 0; i < keys.length; i += 7) yield keys.slice(i, i + 7).map(key => ({ key }))
}, { name })

/** The orphans' keys of one diff against the index, in the order they came. */
async function orphanKeys (index: ReferenceIndex, candidates: readonly string[], strategy: 'scan' | 'lookup', memory?: string): Promise<string[]> {
  const out: string[] = []
  for await (const part of diffIndex({ candidates: source(candidates, 'candidates'), index, tmpdir: work, strategy, ...(memory === undefined ? {} : { memory }) })) out.push(...part.entries.map(entry => entry.key))
  return out
}

/** The orphans by both strategies, which must agree. */
async function orphansOf (index: ReferenceIndex, candidates: readonly string[]): Promise<string[]> {
  const results: string[][] = []
  for (const strategy of ['scan', 'lookup'] as const) {
    const out = await orphanKeys(index, candidates, strategy)
    assert.equal(out.length, new Set(out).size, `each orphan once (${strategy})`)
    results.push(out.sort(compareKeys))
  }
  assert.deepEqual(results[0], results[1], 'scan and lookup agree')
  return results[0] as string[]
}
const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key)).sort(compareKeys)
}

let run = 0
test('a kept index answers as a one-shot diff, also after index add and index remove', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, keysArb, keysArb, async (candidates, first, second, removed) => {
    const dir = join(work, `index-${run++}`)
    const index = await ReferenceIndex.open(dir, { create: true, expectedCount: 1000 })
    try {
      await index.add(source(first, 'db-a'))
      assert.deepEqual(await orphansOf(index, candidates), minus(candidates, first))
      await index.add(source(second, 'db-b'))
      assert.deepEqual(await orphansOf(index, candidates), minus(candidates, [...first, ...second]))
      await index.remove(source(removed, 'db-a'))
      const remaining = [...minus(first, removed), ...second]
      assert.deepEqual(await orphansOf(index, candidates), minus(candidates, remaining))
      for (const key of [...first, ...second].slice(0, 5)) {
        const expected = [...(first.includes(key) && !removed.includes(key) ? ['db-a'] : []), ...(second.includes(key) ? ['db-b'] : [])]
        assert.deepEqual((await index.why(key)).sort(), expected)
      }
      assert.equal(index.meta.count, new Set(remaining).size)
    } finally {
      await index.close()
      await ReferenceIndex.drop(dir)
    }
  }), { numRuns: 40 })
})

test('the index keeps its references, filter and scan start across open/close', async () => {
  const dir = join(work, 'reopen')
  const index = await ReferenceIndex.open(dir, { create: true })
  await index.add(source(['a', 'b', 'c'], 'refs'))
  const startedAt = index.scanStartedAt
  await index.close()
  const again = await ReferenceIndex.open(dir)
  try {
    assert.equal(again.scanStartedAt, startedAt)
    assert.ok(typeof startedAt === 'string')
    assert.deepEqual(await orphansOf(again, ['a', 'x', 'c', 'y', 'x']), ['x', 'y'])
    assert.deepEqual(await again.why('b'), ['refs'])
  } finally {
    await again.close()
  }
})

test('a whole scan releases LevelDB\'s tables only when no other read is in flight: concurrent diffs and lookups all answer', async () => {
  const dir = join(work, 'concurrent')
  const index = await ReferenceIndex.open(dir, { create: true })
  try {
    const references = Array.from({ length: 3000 }, (_, i) => `r/${i}`)
    await index.add(source(references, 'refs'))
    const candidates = [...references.filter((_, i) => i % 3 === 0), 'x/1', 'x/2']
    const diffOf = async (strategy: 'scan' | 'lookup'): Promise<string[]> => (await orphanKeys(index, candidates, strategy)).sort(compareKeys)
    for (let round = 0; round < 5; round++) {
      const [scanned, looked, again, why] = await Promise.all([diffOf('scan'), diffOf('lookup'), diffOf('scan'), index.why('r/7')])
      assert.deepEqual(scanned, ['x/1', 'x/2'])
      assert.deepEqual(looked, ['x/1', 'x/2'])
      assert.deepEqual(again, ['x/1', 'x/2'])
      assert.deepEqual(why, ['refs'])
    }
    // Reads that start while a finished scan closes and reopens the database wait for it.
    for (let round = 0; round < 20; round++) {
      let scanning = true
      const scan = diffOf('scan').finally(() => { scanning = false })
      const reads = async (): Promise<number> => {
        let n = 0
        for (; scanning || n < 3; n++) {
          assert.deepEqual(await index.why(`r/${n}`), ['refs'])
          await new Promise(resolve => setTimeout(resolve, n % 3))
        }
        return n
      }
      const [scanned] = await Promise.all([scan, reads(), reads()])
      assert.deepEqual(scanned, ['x/1', 'x/2'])
    }
    assert.deepEqual(await diffOf('scan'), ['x/1', 'x/2'])
    assert.deepEqual(await index.why('r/2999'), ['refs'])
  } finally {
    await index.close()
  }
})

test('an index whose filter file is gone refuses lookups (never every candidate an orphan), and scans without it', async () => {
  const dir = join(work, 'no-filter')
  const index = await ReferenceIndex.open(dir, { create: true })
  await index.add(source(['a', 'b'], 'refs'))
  await index.close()
  rmSync(join(dir, 'filter.sbbf'))
  const again = await ReferenceIndex.open(dir)
  try {
    assert.deepEqual(await orphanKeys(again, ['a', 'x'], 'scan'), ['x'])
    await assert.rejects(orphanKeys(again, ['a', 'x'], 'lookup'), (error: Error & { code?: string }) => error.code === 'KEYDIFF_INDEX_VERSION' && error.message.includes('filter.sbbf'))
  } finally {
    await again.close()
  }
})

test('opening no index, or one of another version, fails with KEYDIFF_INDEX_VERSION', async () => {
  await assert.rejects(ReferenceIndex.open(join(work, 'nothing')), { code: 'KEYDIFF_INDEX_VERSION' })
  const dir = join(work, 'future')
  const index = await ReferenceIndex.open(dir, { create: true })
  await index.add(source(['a'], 'refs'))
  await index.close()
  // 1: the layout of one LevelDB entry per reference; 99: a later keydiff's.
  for (const version of [1, 99]) {
    const db = new ClassicLevel<Buffer, Buffer>(join(dir, 'db'), { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    const meta = JSON.parse(String(await db.get(META))) as { version: number }
    await db.put(META, Buffer.from(JSON.stringify({ ...meta, version })))
    await db.close()
    await assert.rejects(ReferenceIndex.open(dir), { code: 'KEYDIFF_INDEX_VERSION' })
  }
  mkdirSync(join(work, 'junk', 'db'), { recursive: true })
  writeFileSync(join(work, 'junk', 'db', 'CURRENT'), 'garbage\n')
  await assert.rejects(ReferenceIndex.open(join(work, 'junk')), { code: 'KEYDIFF_INDEX_VERSION' })
  await assert.rejects(ReferenceIndex.drop(join(work, 'nothing')), { code: 'KEYDIFF_INDEX_VERSION' })
})

test('an index built from a file (read as bytes) diffs a file by scan and by lookup', async () => {
  const keys = Array.from({ length: 50_000 }, (_, i) => `blobs/${(i * 7919).toString(16)}/é${i % 7}`)
  const references = join(work, 'refs.txt')
  const candidates = join(work, 'cands.txt')
  writeFileSync(references, [...keys.filter((_, i) => i % 4 !== 0), ...keys.slice(0, 100)].join('\r\n'))
  writeFileSync(candidates, [...keys, 'orphan/x', 'orphan/x'].join('\n') + '\n')
  const dir = join(work, 'index-file')
  const index = await ReferenceIndex.open(dir, { create: true })
  try {
    assert.deepEqual(await index.add(linesSource(references)), { references: 37_500 + 100 })
    assert.equal(index.meta.count, 37_500 + 25, 'repeats across read chunks counted once')
    const expected = [...keys.filter((_, i) => i % 4 === 0 && i >= 100), 'orphan/x'].sort(compareKeys)
    for (const strategy of ['scan', 'lookup'] as const) {
      const out: string[] = []
      const run = diffIndex({ candidates: linesSource(candidates), index, strategy, tmpdir: work })
      for await (const part of run) out.push(...part.entries.map(entry => entry.key))
      assert.deepEqual(out.sort(compareKeys), expected, strategy)
      assert.equal(run.stats.candidates.count, keys.length + 2)
    }
    assert.deepEqual(await index.why(keys[1] as string), [`lines:${references}`])
  } finally {
    await index.close()
    await ReferenceIndex.drop(dir)
  }
})

test('a source larger than the memory budget is written in several passes with the same answers', async () => {
  // 1 MiB holds 65,536 pending fingerprints: 150,000 keys (each twice, far apart) take five passes.
  const keys = Array.from({ length: 150_000 }, (_, i) => `k/${i}`)
  const dir = join(work, 'index-passes')
  const index = await ReferenceIndex.open(dir, { create: true, expectedCount: 300_000 })
  try {
    await index.add(source([...keys, ...keys.slice(0, 70_000)], 'big'), { memory: '1MiB' })
    assert.equal(index.meta.count, keys.length)
    await index.add(source(keys.slice(100_000, 160_000).concat(['other']), 'small'), { memory: '1MiB' })
    assert.equal(index.meta.count, keys.length + 1)
    assert.deepEqual(await index.remove(source(keys.slice(0, 120_000), 'big'), { memory: '1MiB' }), { removed: 100_000 })
    assert.deepEqual(await index.why('k/110000'), ['small'])
    assert.deepEqual(await index.why('k/140000'), ['big', 'small'])
    assert.deepEqual(await index.why('k/5'), [])
    const candidates = ['k/5', 'k/99999', 'k/100000', 'k/149999', 'other', 'k/150000']
    assert.deepEqual(await orphansOf(index, candidates), ['k/150000', 'k/5', 'k/99999'])
  } finally {
    await index.close()
    await ReferenceIndex.drop(dir)
  }
})

test('the filter an index first update makes keeps to half its budget, and the answers stay exact', async () => {
  const keys = Array.from({ length: 40_000 }, (_, i) => `k/${i}`)
  const dir = join(work, 'index-small-filter')
  // 10M expected at 1% would want a 12 MB filter.
  const index = await ReferenceIndex.open(dir, { create: true, expectedCount: 10_000_000 })
  try {
    await index.add(source(keys, 'refs'), { memory: '2MiB' })
    const filter = await index.filter()
    assert.ok(filter.byteLength <= 1024 * 1024, `filter of ${filter.byteLength} bytes`)
    assert.equal(index.filterBytes(), filter.byteLength + 32, 'saved with its 32-byte header')
    const candidates = ['k/5', 'k/39999', 'k/40000', 'x', 'k/40000']
    for (const strategy of ['scan', 'lookup'] as const) {
      assert.deepEqual((await orphanKeys(index, candidates, strategy, '2MiB')).sort(compareKeys), ['k/40000', 'x'], strategy)
    }
  } finally {
    await index.close()
    await ReferenceIndex.drop(dir)
  }
})

test('a scan diff of a large candidates file gives the same orphans, in input order, whether threads read it or not', async () => {
  // References past the budget: the scan's set spills from the start, so the threads lay out
  // the candidates' spill records and the orphans are read back from the file.
  const keys = Array.from({ length: 1_100_000 }, (_, i) => `blobs/${(i * 2654435761 % 4294967296).toString(16)}/${i % 13}`)
  const references = join(work, 'large-refs.txt')
  const candidates = join(work, 'large-cands.txt')
  writeFileSync(references, keys.filter((_, i) => i % 10 !== 3).join('\n') + '\n')
  const candidateKeys = [...keys.slice(0, 1_000_000), 'orphan/a', keys[3] as string, 'orphan/b', 'orphan/a']
  writeFileSync(candidates, candidateKeys.join('\r\n'))
  const drop = new Set(keys.filter((_, i) => i % 10 !== 3))
  const expected = [...new Set(candidateKeys)].filter(key => !drop.has(key))
  const dir = join(work, 'index-large')
  const index = await ReferenceIndex.open(dir, { create: true })
  try {
    await index.add(linesSource(references))
    for (const readThread of [true, false]) {
      const out: string[] = []
      const run = diffIndex({ candidates: linesSource(candidates), index, strategy: 'scan', tmpdir: work, memory: '16MiB', readThread, transientParts: true })
      for await (const part of run) out.push(...part.entries.map(entry => entry.key))
      assert.deepEqual(out, expected, `readThread ${readThread}`)
      assert.equal(run.stats.orphans.count, expected.length)
      assert.equal(run.stats.candidates.count, candidateKeys.length)
      assert.ok((run.stats.spilledBytes ?? 0) > 0, 'the scan spilled')
    }
  } finally {
    await index.close()
    await ReferenceIndex.drop(dir)
  }
})
