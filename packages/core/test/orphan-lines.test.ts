import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { linesSource, SourceError, type DiffPart } from '@keydiff/core'
import { blockReadable, readLineBlocks, type FileIdentity } from '../src/engine/line-blocks.ts'
import { OrphanLog, OrphanMarks } from '../src/spill/orphan-marks.ts'
import { ALL_BLOCKS, orphanLinesOfChunks, readOrphanLines, type CandidateFiles } from '../src/spill/orphan-lines.ts'
import { mergedOrphanLines, OrphanLinesThread } from '../src/spill/orphan-lines-thread.ts'
import { WorkDir } from '../src/spill/work-dir.ts'

// A spill of candidates read from files keeps no keys of its own: its orphans' keys are read
// back from the files by ordinal. Those must be exactly the lines the first read numbered,
// and a file changed in between must fail the read rather than name other keys.
const work = mkdtempSync(join(tmpdir(), 'keydiff-orphan-lines-test-'))
after(() => rmSync(work, { recursive: true, force: true }))
let files = 0

function file (text: string): string {
  const path = join(work, `c${files++}.txt`)
  writeFileSync(path, text)
  return path
}

function marksOf (ordinals: number[]): OrphanMarks {
  const dir = new WorkDir(work)
  const log = new OrphanLog(dir, 'orphans', 4096)
  log.partition()
  for (const ordinal of ordinals) log.add(ordinal)
  return new OrphanMarks(log.close(), 1024, dir)
}

// The parts' keys. Read back from files, every part also has them as text (lines split from a
// file are UTF-8, bytes that are not made so), which must be those keys written as lines.
async function keysOf (parts: AsyncIterable<DiffPart>): Promise<string[]> {
  const keys: string[] = []
  for await (const part of parts) {
    assert.ok(part.lines !== undefined, 'a part read back from files has its text')
    const entries = part.entries.map(entry => entry.key)
    assert.equal(Buffer.from(part.lines).toString('utf8'), entries.map(key => key + '\n').join(''))
    keys.push(...entries)
  }
  return keys
}

const lineArb = fc.stringMatching(/^[a-c/é]{0,5}$/)

test('the orphans read back are the lines of their ordinals, across files, blank lines and CRLF as first read', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.array(lineArb, { maxLength: 30 }), { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 50 }), async (contents, choices) => {
    const paths = contents.map((lines, i) => file(lines.join(i % 2 === 0 ? '\n' : '\r\n')))
    // The ordinals count the non-blank lines, as a lines source reads them.
    const lines = contents.flatMap(each => each.filter(line => line !== ''))
    const ordinals = lines.map((_, i) => i).filter(i => choices[i % choices.length] === true)
    const candidates = { files: paths.map(path => ({ path, name: `lines:${path}` })), identities: paths.map(path => blockReadable(path)) }
    assert.deepEqual(await keysOf(readOrphanLines(candidates, marksOf(ordinals), lines.length)), ordinals.map(i => lines[i]))
  }), { numRuns: 60 })
})

test('a candidates file changed since its first read fails the read-back, naming it', async () => {
  const path = file('a\nb\nc\n')
  const identity = blockReadable(path) as FileIdentity
  appendFileSync(path, 'd\n')
  const candidates = { files: [{ path, name: `lines:${path}` }], identities: [identity] }
  await assert.rejects(keysOf(readOrphanLines(candidates, marksOf([1]), 3)), (error: unknown) => {
    assert.ok(error instanceof SourceError)
    assert.match(error.message, /changed while it was read: its size went from 6 to 8 bytes/)
    assert.ok(error.message.includes(path))
    return true
  })
})

test('a file rewritten to the same size, or holding another number of lines, fails the read-back', async () => {
  const path = file('a\nb\nc\n')
  const identity = blockReadable(path) as FileIdentity
  writeFileSync(path, 'x\ny\nz\n')
  utimesSync(path, new Date(), new Date(Date.now() + 5000))
  await assert.rejects(keysOf(readOrphanLines({ files: [{ path, name: 'c' }], identities: [identity] }, marksOf([0]), 3)), /it was modified/)
  const other = file('a\nb\n')
  await assert.rejects(keysOf(readOrphanLines({ files: [{ path: other, name: 'c' }], identities: [blockReadable(other)] }, marksOf([0]), 3)), /held 2 lines where 3 were read/)
})

// Bytes that make CR/LF endings, blank lines, multi-byte and invalid UTF-8 likely.
const byteArb = fc.constantFrom(0x61, 0x62, 0x2f, 0x0d, 0x0a, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0x80)

test('the read-back thread gives the keys reading back here gives, in the same order: ASCII, UTF-8 and invalid bytes', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.array(byteArb, { maxLength: 300 }), { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), async (contents, choices) => {
    const paths = contents.map(bytes => {
      const path = join(work, `c${files++}.txt`)
      writeFileSync(path, Uint8Array.from(bytes))
      return path
    })
    const candidates = { files: paths.map(path => ({ path, name: `lines:${path}` })), identities: paths.map(path => blockReadable(path)) }
    // The lines the first read numbers: the spill's count, and the ordinals to mark.
    const all = (await countingRead(candidates)).flatMap(part => part.entries.map(entry => entry.key))
    const ordinals = all.map((_, i) => i).filter(i => choices[i % choices.length] === true)
    const here = await keysOf(readOrphanLines(candidates, marksOf(ordinals), all.length))
    assert.deepEqual(here, ordinals.map(i => all[i]))
    // Batches in memory of their own, and batches whose memory comes back to be filled again.
    for (const reuse of [false, true]) {
      const dir = new WorkDir(work)
      const log = new OrphanLog(dir, 'orphans', 4096)
      log.partition()
      for (const ordinal of ordinals) log.add(ordinal)
      const thread = new OrphanLinesThread({ candidates, count: all.length, window: 64, dir: dir.path, ahead: 2, reuse, share: ALL_BLOCKS, kind: 'orphans' })
      try {
        assert.deepEqual(await keysOf(mergedOrphanLines([thread], log.close())), here)
      } finally {
        thread.stop()
      }
    }
  }), { numRuns: 25 })
})

test('the read-back thread fails on a candidates file changed since its first read, naming it', async () => {
  const path = file('a\nb\nc\n')
  const identity = blockReadable(path) as FileIdentity
  appendFileSync(path, 'd\n')
  const dir = new WorkDir(work)
  const log = new OrphanLog(dir, 'orphans', 4096)
  log.partition()
  log.add(1)
  const thread = new OrphanLinesThread({ candidates: { files: [{ path, name: `lines:${path}` }], identities: [identity] }, count: 3, window: 64, dir: dir.path, ahead: 2, reuse: false, share: ALL_BLOCKS, kind: 'orphans' })
  try {
    await assert.rejects(keysOf(mergedOrphanLines([thread], log.close())), (error: unknown) => {
      assert.ok(error instanceof SourceError)
      assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED')
      assert.match(error.message, /changed while it was read: its size went from 6 to 8 bytes/)
      assert.ok(error.message.includes(path))
      return true
    })
  } finally {
    thread.stop()
  }
})

/** Every line of the files, as the first read numbers them. */
async function countingRead (candidates: CandidateFiles): Promise<DiffPart[]> {
  const lines: string[] = []
  for (const { path } of candidates.files) for await (const batch of linesSource(path)) for (const entry of batch) lines.push(entry.key)
  return [{ kind: 'orphans', entries: lines.map(key => ({ key })) }]
}

test('a part whose memory is reused gives its keys until the next part is asked for, and refuses them after', async () => {
  // Blocks of a megabyte: the two orphans are in two, so two parts.
  const block = (tag: string): string => Array.from({ length: 30_000 }, (_, i) => `${tag}/${'x'.repeat(30)}/${i}`).join('\n') + '\n'
  const path = file(block('a') + block('b'))
  const candidates = { files: [{ path, name: `lines:${path}` }], identities: [blockReadable(path)] }
  const dir = new WorkDir(work)
  const log = new OrphanLog(dir, 'orphans', 4096)
  log.partition()
  log.add(5)
  log.add(50_000)
  const thread = new OrphanLinesThread({ candidates, count: 60_000, window: 1 << 16, dir: dir.path, ahead: 2, reuse: true, share: ALL_BLOCKS, kind: 'orphans' })
  try {
    const parts = mergedOrphanLines([thread], log.close())
    const first = (await parts.next()).value as DiffPart
    const second = (await parts.next()).value as DiffPart
    assert.deepEqual(second.entries, [{ key: `b/${'x'.repeat(30)}/20000` }])
    assert.throws(() => first.entries, /read after the next part was asked for/)
    assert.equal((await parts.next()).done, true)
  } finally {
    thread.stop()
  }
})

// The first read's threads note how many lines each block of the files held: one reader of
// every block finds the same.
function noted (candidates: CandidateFiles, blockBytes: number): CandidateFiles {
  const lines = [...readLineBlocks(candidates.files, candidates.identities as FileIdentity[], { index: 0, count: 1, blockBytes })].map(chunk => chunk.length)
  return { ...candidates, blocks: { blockBytes, lines } }
}

// Files of these bytes with their blocks noted, every line the first read numbers, and the
// ordinals the choices mark (cycled over the lines).
async function notedCase (contents: number[][], choices: boolean[], blockBytes: number): Promise<{ candidates: CandidateFiles, all: string[], ordinals: number[] }> {
  const paths = contents.map(bytes => {
    const path = join(work, `c${files++}.txt`)
    writeFileSync(path, Uint8Array.from(bytes))
    return path
  })
  const candidates = noted({ files: paths.map(path => ({ path, name: `lines:${path}` })), identities: paths.map(path => blockReadable(path)) }, blockBytes)
  const all = (await countingRead(candidates)).flatMap(part => part.entries.map(entry => entry.key))
  return { candidates, all, ordinals: all.map((_, i) => i).filter(i => choices[i % choices.length] === true) }
}

function logOf (ordinals: number[]): { dir: WorkDir, segments: ReturnType<OrphanLog['close']> } {
  const dir = new WorkDir(work)
  const log = new OrphanLog(dir, 'orphans', 4096)
  log.partition()
  for (const ordinal of ordinals) log.add(ordinal)
  return { dir, segments: log.close() }
}

test('readers of shares of the noted blocks find, merged by their lines\' places, the orphans one reader of every block finds', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.array(byteArb, { maxLength: 300 }), { minLength: 1, maxLength: 3 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 100 }), async (contents, choices, blockBytes, count, window) => {
    const { candidates, all, ordinals } = await notedCase(contents, choices, blockBytes)
    const { dir, segments } = logOf(ordinals)
    const found: Array<{ first: number, keys: string[] }> = []
    for (let index = 0; index < count; index++) {
      for (const { first, chunk, lines } of orphanLinesOfChunks(candidates, new OrphanMarks(segments, window, dir), all.length, { index, count })) {
        found.push({ first, keys: lines.map(line => chunk.bytes.subarray(chunk.starts[line], chunk.ends[line]).toString('utf8')) })
      }
    }
    found.sort((a, b) => a.first - b.first)
    assert.equal(new Set(found.map(each => each.first)).size, found.length, 'no chunk is read by two shares')
    assert.deepEqual(found.flatMap(each => each.keys), ordinals.map(i => Buffer.from(all[i] as string).toString('utf8')))
  }), { numRuns: 80 })
})

test('threads reading shares of the blocks give, merged, the keys one thread gives, in order, their memory reused or not', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fc.array(byteArb, { maxLength: 300 }), { minLength: 1, maxLength: 2 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 2, max: 3 }), fc.boolean(), async (contents, choices, blockBytes, count, reuse) => {
    const { candidates, all, ordinals } = await notedCase(contents, choices, blockBytes)
    const here = await keysOf(readOrphanLines(candidates, marksOf(ordinals), all.length))
    const { dir, segments } = logOf(ordinals)
    const threads = Array.from({ length: count }, (_, index) => new OrphanLinesThread({ candidates, count: all.length, window: 64, dir: dir.path, ahead: 1, reuse, share: { index, count }, kind: 'orphans' }))
    try {
      assert.deepEqual(await keysOf(mergedOrphanLines(threads, segments)), here)
    } finally {
      for (const thread of threads) thread.stop()
    }
  }), { numRuns: 10 })
})

test('blocks noted with other lines than the file holds in them fail the read-back, naming the block', async () => {
  const path = file('a\nb\nc\nd\n')
  const candidates = { files: [{ path, name: `lines:${path}` }], identities: [blockReadable(path)] }
  // Four lines in all, as read, but one moved between the blocks: the file is not as first read.
  const moved = { ...candidates, blocks: { blockBytes: 4, lines: [1, 3] } }
  const parts = (share: { index: number, count: number }): string[] => [...orphanLinesOfChunks(moved, marksOf([0, 1, 2, 3]), 4, share)].map(each => String(each.first))
  assert.throws(() => parts({ index: 0, count: 1 }), (error: unknown) => {
    assert.ok(error instanceof SourceError)
    assert.match(error.message, /held 2 lines in block 0 where 1 were read/)
    assert.ok(error.message.includes(path))
    return true
  })
  assert.throws(() => parts({ index: 1, count: 2 }), /held 2 lines in block 1 where 3 were read/)
  // Blocks of another size than the file makes.
  assert.throws(() => [...orphanLinesOfChunks({ ...candidates, blocks: { blockBytes: 4, lines: [4] } }, marksOf([0]), 4)], /make 2 blocks where 1 were read/)
  // A share of the blocks needs them noted.
  assert.throws(() => [...orphanLinesOfChunks(candidates, marksOf([0]), 4, { index: 0, count: 2 })], RangeError)
})

test('a noted block that holds no marked line is not read again; one that does is', async () => {
  const path = file('a\nb\nc\nd\n')
  // A whole-second modification time, so that the same one can be put back exactly.
  utimesSync(path, 1000, 1000)
  const candidates = { files: [{ path, name: `lines:${path}` }], identities: [blockReadable(path)], blocks: { blockBytes: 4, lines: [2, 2] } }
  // The second block rewritten in place to one line, the file's size and time as they were:
  // read, it would fail the read-back (1 line where 2 were read).
  writeFileSync(path, 'a\nb\nxyz\n')
  utimesSync(path, 1000, 1000)
  const picked = (ordinals: number[]): string[] => [...orphanLinesOfChunks(candidates, marksOf(ordinals), 4)].flatMap(({ chunk, lines }) => lines.map(line => chunk.bytes.subarray(chunk.starts[line], chunk.ends[line]).toString('utf8')))
  assert.deepEqual(picked([1]), ['b'])
  assert.deepEqual(picked([]), [])
  assert.throws(() => picked([0, 3]), /held 1 lines in block 1 where 2 were read/)
})

test('threads reading shares hand each reused part on whole until the next is asked for', async () => {
  const block = (tag: string): string => Array.from({ length: 30_000 }, (_, i) => `${tag}/${'x'.repeat(30)}/${i}`).join('\n') + '\n'
  const path = file(block('a') + block('b') + block('c'))
  const candidates = noted({ files: [{ path, name: `lines:${path}` }], identities: [blockReadable(path)] }, 1024 * 1024)
  const { dir, segments } = logOf([5, 50_000, 89_999])
  const threads = [0, 1].map(index => new OrphanLinesThread({ candidates, count: 90_000, window: 1 << 16, dir: dir.path, ahead: 2, reuse: true, share: { index, count: 2 }, kind: 'orphans' }))
  try {
    const parts = mergedOrphanLines(threads, segments)
    // Each part's text is read while it is the last asked for; its keys not at all until the next is.
    const text = (part: DiffPart): string => Buffer.from(part.lines as Uint8Array).toString('utf8')
    const first = (await parts.next()).value as DiffPart
    assert.equal(text(first), `a/${'x'.repeat(30)}/5\n`)
    const second = (await parts.next()).value as DiffPart
    assert.throws(() => first.entries, /read after the next part was asked for/)
    assert.equal(text(second), `b/${'x'.repeat(30)}/20000\n`)
    const third = (await parts.next()).value as DiffPart
    assert.throws(() => second.entries, /read after the next part was asked for/)
    assert.deepEqual(third.entries, [{ key: `c/${'x'.repeat(30)}/29999` }])
    assert.equal((await parts.next()).done, true)
  } finally {
    for (const thread of threads) thread.stop()
  }
})
