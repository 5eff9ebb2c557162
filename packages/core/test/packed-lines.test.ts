import assert from 'node:assert/strict'
import { isUtf8 } from 'node:buffer'
import { test } from 'node:test'
import fc from 'fast-check'
import { lineText, scanLines, splitLines } from '../src/engine/line-chunks.ts'
import type { LineChunk } from '../src/contracts/key-source.ts'
import { emptyPackedLines, ownPackedLines, packedText, packLines, unpackLines, type PackedLines } from '../src/engine/packed-lines.ts'
import { PackedLinesPart } from '../src/engine/packed-lines-part.ts'

// Bytes that make CR/LF endings, blank lines, long lines, multi-byte and invalid UTF-8 likely.
const byteArb = fc.constantFrom(0x61, 0x62, 0x2f, 0x0d, 0x0a, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xff, 0x80)
const regionArb = fc.array(fc.oneof({ weight: 9, arbitrary: fc.array(byteArb, { maxLength: 40 }) }, { weight: 1, arbitrary: fc.array(byteArb, { minLength: 40, maxLength: 400 }) }), { maxLength: 200 })
  .map(pieces => Buffer.from(pieces.flat()))
const choicesArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 30 })

function assertPacked (packed: PackedLines, keys: string[], bytes: Buffer): void {
  assert.deepEqual(unpackLines(packed).map(entry => entry.key), keys)
  const text = packedText(packed)
  // Text only when it is what the keys are: bytes that are not UTF-8 decode to other text.
  assert.equal(text === undefined, !isUtf8(bytes))
  if (text !== undefined) {
    assert.deepEqual(Buffer.from(text), bytes)
    assert.equal(Buffer.from(text).toString('utf8'), keys.map(key => key + '\n').join(''))
  }
}

test('packed lines are the picked lines, as keys and as text, gathered where the split left them or copied', () => {
  // One PackedLines refilled each time, as a thread's batches are: what it held before must not show.
  const refilled = emptyPackedLines()
  const pick = (chunk: LineChunk, choices: boolean[]): { picked: number[], keys: string[], bytes: Buffer } => {
    const picked = Array.from({ length: chunk.length }, (_, i) => i).filter(i => choices[i % choices.length] === true)
    const bytes = Buffer.concat(picked.flatMap(i => [chunk.bytes.subarray(chunk.starts[i], chunk.ends[i]), Buffer.from('\n')]))
    return { picked, keys: picked.map(i => lineText(chunk, i)), bytes }
  }
  fc.assert(fc.property(regionArb, choicesArb, (region, choices) => {
    // Split in the arena (a region that is not UTF-8 is made UTF-8 first): the lines are gathered there.
    const chunk = splitLines(region, true)
    const split = pick(chunk, choices)
    const gathered = emptyPackedLines()
    packLines(chunk, Uint32Array.from(split.picked), split.picked.length, gathered)
    assertPacked(gathered, split.keys, split.bytes)
    // The region's own bytes, split by scanning: copied, and not UTF-8 when the region is not.
    const scanned = scanLines(region)
    const raw = pick(scanned, choices)
    packLines(scanned, raw.picked, raw.picked.length, refilled)
    assertPacked(refilled, raw.keys, raw.bytes)
  }), { numRuns: 500 })
})

test('a part of packed lines gives its text at once and decodes its entries only when read, once', () => {
  const chunk = splitLines(Buffer.from('a/1\nb/é\r\n\nc/3\n'), true)
  const packed = emptyPackedLines()
  packLines(chunk, [0, 2], 2, packed)
  const part = new PackedLinesPart('orphans', packed)
  assert.equal(part.length, 2)
  assert.equal(Buffer.from(part.lines as Uint8Array).toString(), 'a/1\nc/3\n')
  const entries = part.entries
  assert.deepEqual(entries, [{ key: 'a/1' }, { key: 'c/3' }])
  assert.equal(part.entries, entries)
  const invalid = scanLines(Buffer.from([0x61, 0xff, 0x0a, 0x62, 0x0a]))
  packLines(invalid, [0, 1], 2, packed)
  const replaced = new PackedLinesPart('orphans', packed)
  assert.equal(replaced.lines, undefined)
  assert.deepEqual(replaced.entries, [{ key: 'a\ufffd' }, { key: 'b' }])
})

test('a copy of packed lines keeps them when the batch it was taken from is filled again', () => {
  fc.assert(fc.property(regionArb, choicesArb, regionArb, (region, choices, next) => {
    const chunk = scanLines(region)
    const picked = Array.from({ length: chunk.length }, (_, i) => i).filter(i => choices[i % choices.length] === true)
    const batch = emptyPackedLines()
    packLines(chunk, picked, picked.length, batch)
    const keys = unpackLines(batch).map(entry => entry.key)
    const text = packedText(batch) === undefined ? undefined : Buffer.from(packedText(batch) as Uint8Array)
    const own = ownPackedLines(batch)
    const later = scanLines(next)
    packLines(later, Array.from({ length: later.length }, (_, i) => i), later.length, batch)
    assert.deepEqual(unpackLines(own).map(entry => entry.key), keys)
    assert.deepEqual(packedText(own) === undefined ? undefined : Buffer.from(packedText(own) as Uint8Array), text)
  }), { numRuns: 200 })
})
