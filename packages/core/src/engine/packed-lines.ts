import { isAscii, isUtf8 } from 'node:buffer'
import type { LineChunk } from '../contracts/key-source.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { sharedArena } from '../bloom/wasm-arena.ts'

/**
 * Some lines of a chunk, picked on one thread to become keys on another: each picked line's
 * bytes followed by a newline, one after another, and each line's offsets in them. Only the
 * picked lines are copied (orphans are a few in a hundred lines: the span from the first to
 * the last took a copy of nearly the whole chunk), and the bytes are the lines as text, ready
 * to be written out as they are (`packedText`).
 */
export interface PackedLines {
  bytes: ArrayBuffer
  starts: ArrayBuffer
  ends: ArrayBuffer
  /** Lines packed. */
  length: number
  /** Whether the lines are ASCII: decoded as Latin-1 then (the same strings, made quicker). */
  ascii: boolean
  /** Whether the lines are UTF-8: their bytes are then exactly their keys' text (`packedText`). */
  utf8: boolean
}

export function emptyPackedLines (): PackedLines {
  const empty = new ArrayBuffer(0)
  return { bytes: empty, starts: empty, ends: empty, length: 0, ascii: true, utf8: true }
}

/** Packs lines `picked[0 .. count)` (increasing) of the chunk into `into`, growing its buffers as needed. */
export function packLines (chunk: LineChunk, picked: ArrayLike<number>, count: number, into: PackedLines): void {
  into.length = count
  into.ends = room(into.ends, 4 * count)
  into.starts = room(into.starts, 4 * count)
  if (count > 0) {
    const ends = new Uint32Array(into.ends)
    const gathered = sharedArena().gatherLines(chunk, picked, count, ends)
    into.bytes = room(into.bytes, gathered.length)
    new Uint8Array(into.bytes).set(gathered)
    const starts = new Uint32Array(into.starts)
    starts[0] = 0
    for (let i = 1; i < count; i++) starts[i] = (ends[i - 1] as number) + 1
  }
  const text = packedBytes(into)
  into.ascii = isAscii(text)
  into.utf8 = into.ascii || isUtf8(text)
}

// The packed lines' bytes, each line's and its newline.
function packedBytes (packed: PackedLines): Uint8Array {
  return new Uint8Array(packed.bytes, 0, packed.length === 0 ? 0 : new Uint32Array(packed.ends)[packed.length - 1] as number + 1)
}

/**
 * The packed lines as text, each key's UTF-8 bytes and a newline, when they are UTF-8: what
 * writing `key + '\n'` for each of `unpackLines`' entries would write. Undefined otherwise
 * (decoding replaces a byte that is not UTF-8, so the keys' text is not the lines' bytes).
 */
export function packedText (packed: PackedLines): Uint8Array | undefined {
  return packed.utf8 ? packedBytes(packed) : undefined
}

/** A copy of packed lines in memory of its own, just their size: for a batch whose memory is filled again. */
export function ownPackedLines (packed: PackedLines): PackedLines {
  const { length } = packed
  return {
    bytes: packed.bytes.slice(0, packedBytes(packed).length),
    starts: packed.starts.slice(0, 4 * length),
    ends: packed.ends.slice(0, 4 * length),
    length,
    ascii: packed.ascii,
    utf8: packed.utf8
  }
}

/** The packed lines as keys. */
export function unpackLines (packed: PackedLines): KeyEntry[] {
  const bytes = Buffer.from(packed.bytes) as Buffer & Slicers
  const starts = new Uint32Array(packed.starts, 0, packed.length)
  const ends = new Uint32Array(packed.ends, 0, packed.length)
  const entries: KeyEntry[] = new Array(packed.length)
  const decode = packed.ascii ? latin1Slice : utf8Slice
  for (let i = 0; i < packed.length; i++) entries[i] = { key: decode(bytes, starts[i] as number, ends[i] as number) }
  return entries
}

/** The buffers of packed lines, as a transfer list. */
export function packedBuffers (packed: PackedLines): ArrayBuffer[] {
  return [packed.bytes, packed.starts, packed.ends]
}

/**
 * `buffer` when it holds `bytes`; else a new one: just large enough for an empty buffer (one
 * filled once, such as a batch that is never handed back), half as large again for one that
 * was outgrown, so that chunks a little larger than the last do not allocate each time.
 */
export function room (buffer: ArrayBuffer, bytes: number): ArrayBuffer {
  if (buffer.byteLength >= bytes) return buffer
  return new ArrayBuffer(Math.ceil(bytes * (buffer.byteLength === 0 ? 1 : 1.5) / 16) * 16)
}

// Buffer's own slicers skip toString's argument checks (a third of the decoding's time).
interface Slicers { latin1Slice?: (start: number, end: number) => string, utf8Slice?: (start: number, end: number) => string }
const own = Buffer.prototype as Buffer & Slicers
const latin1Slice: (bytes: Buffer & Slicers, start: number, end: number) => string = typeof own.latin1Slice === 'function'
  ? (bytes, start, end) => (bytes.latin1Slice as NonNullable<Slicers['latin1Slice']>)(start, end)
  : (bytes, start, end) => bytes.toString('latin1', start, end)
const utf8Slice: (bytes: Buffer & Slicers, start: number, end: number) => string = typeof own.utf8Slice === 'function'
  ? (bytes, start, end) => (bytes.utf8Slice as NonNullable<Slicers['utf8Slice']>)(start, end)
  : (bytes, start, end) => bytes.toString('utf8', start, end)
