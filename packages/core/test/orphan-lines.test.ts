import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { linesSource, SourceError, type DiffPart } from '@keydiff/core'
import { blockReadable, type FileIdentity } from '../src/engine/line-blocks.ts'
import { OrphanLog, OrphanMarks } from '../src/spill/orphan-marks.ts'
import { readOrphanLines, type CandidateFiles } from '../src/spill/orphan-lines.ts'
import { OrphanLinesThread } from '../src/spill/orphan-lines-thread.ts'
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
      const thread = new OrphanLinesThread({ candidates, count: all.length, window: 64, dir: dir.path, ahead: 2, reuse })
      try {
        assert.deepEqual(await keysOf(thread.read(log.close())), here)
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
  const thread = new OrphanLinesThread({ candidates: { files: [{ path, name: `lines:${path}` }], identities: [identity] }, count: 3, window: 64, dir: dir.path, ahead: 2, reuse: false })
  try {
    await assert.rejects(keysOf(thread.read(log.close())), (error: unknown) => {
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
  const thread = new OrphanLinesThread({ candidates, count: 60_000, window: 1 << 16, dir: dir.path, ahead: 2, reuse: true })
  try {
    const parts = thread.read(log.close())
    const first = (await parts.next()).value as DiffPart
    const second = (await parts.next()).value as DiffPart
    assert.deepEqual(second.entries, [{ key: `b/${'x'.repeat(30)}/20000` }])
    assert.throws(() => first.entries, /read after the next part was asked for/)
    assert.equal((await parts.next()).done, true)
  } finally {
    thread.stop()
  }
})
