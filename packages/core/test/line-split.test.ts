import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { scanLines, splitFilled, splitLines } from '../src/engine/line-chunks.ts'
import type { LineChunk } from '../src/contracts/key-source.ts'
import { sharedArena } from '../src/bloom/wasm-arena.ts'
import { LineHasher } from '../src/engine/line-batch.ts'

// splitLines finds lines in WebAssembly, 16 bytes at a time; scanLines by indexOf, a line at a time.
function lines (chunk: LineChunk): string[] {
  return Array.from({ length: chunk.length }, (_, i) => chunk.bytes.toString('latin1', chunk.starts[i], chunk.ends[i]))
}

// LF-heavy bytes, so that blank lines, CRLF and lines on both sides of a 16-byte step are common.
const byteArb = fc.constantFrom(0x61, 0x62, 0x20, 0x0d, 0x0a, 0x0a, 0x0a)

test('splitLines finds the lines scanLines finds, for any bytes', () => {
  // Every byte the kernel may read past a region is an LF left by a region of LFs before it.
  const lfs = Buffer.alloc(2048, 0x0a)
  fc.assert(fc.property(fc.array(byteArb, { maxLength: 300 }), (bytes) => {
    splitLines(lfs)
    const region = Buffer.from(bytes)
    const split = splitLines(region)
    assert.deepEqual(lines(split), lines(scanLines(region)))
    for (let i = 0; i < split.length; i++) assert.ok((split.starts[i] as number) < (split.ends[i] as number))
  }), { numRuns: 1000 })
})

test('splitLines keeps CR inside a line, drops one before LF and one at the end', () => {
  assert.deepEqual(lines(splitLines(Buffer.from('a\rb\r\n\r\n\n\rc\r\r\nd\r'))), ['a\rb', '\rc\r', 'd'])
  assert.deepEqual(lines(splitLines(Buffer.from(''))), [])
  assert.deepEqual(lines(splitLines(Buffer.from('\n\n\r\n'))), [])
})

test('splitLines splits regions of many megabytes, one after another in one arena', () => {
  for (const size of [3 << 20, 1 << 20]) {
    const keys = Array.from({ length: size / 40 }, (_, i) => `k/${i}/${'x'.repeat(i % 50)}`)
    const region = Buffer.from(keys.join('\r\n') + '\n')
    assert.deepEqual(lines(splitLines(region)), keys)
  }
})

test('lines hashed where splitting left them have the hashes of the same lines packed and hashed', () => {
  const bytesArb = fc.array(fc.oneof(byteArb, fc.constantFrom(0xc3, 0xa9, 0xff)), { maxLength: 20000 }).map(bytes => Buffer.from(bytes))
  fc.assert(fc.property(bytesArb, fc.constantFrom(2, 4) as fc.Arbitrary<2 | 4>, (region, stride) => {
    const chunk = splitLines(region, true)
    const words = new Uint32Array(stride * chunk.length)
    // Copies, taken before the packed hashing below uses the arena the views are in.
    const lines = { bytes: chunk.bytes, starts: chunk.starts.slice(), ends: chunk.ends.slice(), length: chunk.length }
    assert.equal(sharedArena().hashSplitLines(chunk, stride, words), true)
    const fingerprints = new LineHasher().hash(lines).words
    const expected = new Uint32Array(stride * lines.length)
    for (let i = 0; i < lines.length; i++) expected.set(fingerprints.subarray(4 * i, 4 * i + stride), stride * i)
    assert.deepEqual(words, expected)
    // The arena has been used since: the views may no longer hold these lines.
    assert.equal(sharedArena().hashSplitLines(chunk, stride, words), chunk.length === 0)
  }), { numRuns: 150 })
})

// A block read into the arena (WasmArena.fillable) is split where it lies; one too long to
// split there is copied out first, since hashing its lines packs them into the arena over
// its bytes: its keys must come out whole after they are hashed.
test('a region read into the arena is split where it lies, and one too long for that is copied out before its lines are hashed', () => {
  const arena = sharedArena()
  for (const size of [3 << 20, (64 << 20) + 4096]) {
    const parts: string[] = []
    for (let i = 0, length = 0; length < size; i++) {
      parts.push(`k/${i}/${'x'.repeat(i % 50)}\n`)
      length += (parts.at(-1) as string).length
    }
    const text = parts.join('').slice(0, size)
    arena.fillable(size).write(text, 'latin1')
    const chunk = splitFilled(size)
    const expected = text.split('\n').filter(key => key.length > 0)
    assert.deepEqual(lines(chunk), expected)
    const inArena = chunk.bytes.buffer === arena.current
    assert.equal(inArena, size <= 64 << 20, 'split in the arena only when it fits there')
    // Hashed where they lie when split there; otherwise packed into the arena, which the copy survives.
    if (!inArena) {
      new LineHasher().hash(chunk)
      assert.deepEqual(lines(chunk), expected)
    }
  }
})
