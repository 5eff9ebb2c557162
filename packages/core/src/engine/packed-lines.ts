import { isAscii } from 'node:buffer'
import type { LineChunk } from '../contracts/key-source.ts'
import type { KeyEntry } from '../keys/key-entry.ts'

/**
 * Some lines of a chunk, picked on one thread to become keys on another: the bytes from the
 * first picked line's start to the last's end, in one copy (a copy a line cost more than the
 * whole span), and each picked line's offsets in them. Its memory goes back and forth between
 * the threads, filled again each time.
 */
export interface PackedLines {
  bytes: ArrayBuffer
  starts: ArrayBuffer
  ends: ArrayBuffer
  /** Lines packed. */
  length: number
  /** Whether the span is ASCII: decoded as Latin-1 then (the same strings, made quicker). */
  ascii: boolean
}

export function emptyPackedLines (): PackedLines {
  const empty = new ArrayBuffer(0)
  return { bytes: empty, starts: empty, ends: empty, length: 0, ascii: true }
}

/** Packs lines `picked[0 .. count)` (increasing) of the chunk into `into`, growing its buffers as needed. */
export function packLines (chunk: LineChunk, picked: ArrayLike<number>, count: number, into: PackedLines): void {
  into.length = count
  if (count === 0) return
  const from = chunk.starts[picked[0] as number] as number
  const to = chunk.ends[picked[count - 1] as number] as number
  const span = chunk.bytes.subarray(from, to)
  into.bytes = room(into.bytes, to - from)
  into.starts = room(into.starts, 4 * count)
  into.ends = room(into.ends, 4 * count)
  new Uint8Array(into.bytes).set(span)
  const starts = new Uint32Array(into.starts)
  const ends = new Uint32Array(into.ends)
  for (let i = 0; i < count; i++) {
    const line = picked[i] as number
    starts[i] = (chunk.starts[line] as number) - from
    ends[i] = (chunk.ends[line] as number) - from
  }
  into.ascii = isAscii(span)
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

/** `buffer` when it holds `bytes`, else a new one half as large again, so that chunks a little larger than the last do not allocate each time. */
export function room (buffer: ArrayBuffer, bytes: number): ArrayBuffer {
  return buffer.byteLength >= bytes ? buffer : new ArrayBuffer(Math.ceil(bytes * 1.5 / 16) * 16)
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
