import { KeydiffError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'

/**
 * Spill records, little-endian, each a whole number of 32-bit words, so that partition files
 * are written and read through Uint32Array views of their buffers.
 *
 * A reference: its fingerprint, four words, with its state (fingerprint-table.ts) in the two
 * low bits of the last, as a table slot holds it. When missing keys are wanted, its key goes
 * to the partition's keys file, in the same order, as a u32 length and UTF-8 bytes.
 *
 * A candidate: its fingerprint and its ordinal among the spilled candidates (low word, high
 * word). The candidates themselves go once, in their order, to one keys file (keys-file.ts);
 * an entry there is a word of key length × 8 + flags, the key's UTF-8 bytes, then size (f64),
 * lastModified (f64 ms) and version (a u32 length and UTF-8 bytes) as the flags say.
 */
export const FINGERPRINT_BYTES = 16
export const CANDIDATE_BYTES = FINGERPRINT_BYTES + 8
/** A longer key cannot be spilled (its length must fit an entry's head word). */
export const MAX_SPILLED_KEY_BYTES = 2 ** 29 - 1

const TWO_32 = 4294967296
const HAS_SIZE = 1
const HAS_TIME = 2
const HAS_VERSION = 4

export const padded = (bytes: number): number => (bytes + 3) & -4

/** Writes reference i of `words` with its state at byte `at` (a multiple of 4) of `view`. */
export function writeReference (view: Uint32Array, at: number, words: Uint32Array, i: number, state: number): void {
  const w = at >>> 2
  view[w] = words[4 * i] as number
  view[w + 1] = words[4 * i + 1] as number
  view[w + 2] = words[4 * i + 2] as number
  view[w + 3] = ((words[4 * i + 3] as number) & -4) | state
}

/** Writes a length-prefixed UTF-8 key at `at`; returns the position after it. */
export function writeKey (buffer: Buffer, at: number, key: string): number {
  const length = buffer.write(key, at + 4, 'utf8')
  buffer.writeUInt32LE(length, at)
  return at + 4 + length
}

export function readKey (buffer: Buffer, at: number): string {
  const length = buffer.readUInt32LE(at)
  return buffer.toString('utf8', at + 4, at + 4 + length)
}

/** An upper bound of the bytes a key takes: UTF-16 units times three. */
export function keyBound (key: string): number {
  return 4 + key.length * 3
}

/** Writes candidate i of `words`, the spilled candidate number `ordinal`, at byte `at` (a multiple of 4) of `view`. */
export function writeCandidate (view: Uint32Array, at: number, words: Uint32Array, i: number, ordinal: number): void {
  const w = at >>> 2
  view[w] = words[4 * i] as number
  view[w + 1] = words[4 * i + 1] as number
  view[w + 2] = words[4 * i + 2] as number
  view[w + 3] = words[4 * i + 3] as number
  writeOrdinal(view, w + 4, ordinal)
}

/** The ordinal of the candidate record whose first word is `w`. */
export function candidateOrdinal (view: Uint32Array, w: number): number {
  return readOrdinal(view, w + 4)
}

/** Writes an ordinal (below 2^53) as two words at word `w`, low word first. */
export function writeOrdinal (view: Uint32Array, w: number, ordinal: number): void {
  view[w] = ordinal >>> 0
  view[w + 1] = Math.floor(ordinal / TWO_32)
}

export function readOrdinal (view: Uint32Array, w: number): number {
  return (view[w + 1] as number) * TWO_32 + (view[w] as number)
}

/** Most bytes `writeEntry` writes for `entry`. */
export function entryBound (entry: KeyEntry): number {
  return 4 + entry.key.length * 3 + 16 + (entry.version === undefined ? 0 : 4 + entry.version.length * 3)
}

/** Writes an entry (key, size, lastModified, version) at `at`; returns the position after it. */
export function writeEntry (buffer: Buffer, at: number, entry: KeyEntry): number {
  const keyBytes = buffer.write(entry.key, at + 4, 'utf8')
  if (keyBytes > MAX_SPILLED_KEY_BYTES) throw new KeydiffError(`a key of ${keyBytes} bytes is longer than the ${MAX_SPILLED_KEY_BYTES} bytes a spilled key may have`, 'KEYDIFF_SPILL_FAILED')
  let pos = at + 4 + keyBytes
  let flags = 0
  if (entry.size !== undefined) {
    flags |= HAS_SIZE
    buffer.writeDoubleLE(entry.size, pos)
    pos += 8
  }
  if (entry.lastModified !== undefined) {
    flags |= HAS_TIME
    buffer.writeDoubleLE(entry.lastModified.getTime(), pos)
    pos += 8
  }
  if (entry.version !== undefined) {
    flags |= HAS_VERSION
    const length = buffer.write(entry.version, pos + 4, 'utf8')
    buffer.writeUInt32LE(length, pos)
    pos += 4 + length
  }
  buffer.writeUInt32LE(keyBytes * 8 + flags, at)
  return pos
}

/** The length of the entry written at `at`. */
export function entryLength (buffer: Buffer, at: number): number {
  const head = buffer.readUInt32LE(at)
  let length = 4 + (head >>> 3)
  if ((head & HAS_SIZE) !== 0) length += 8
  if ((head & HAS_TIME) !== 0) length += 8
  if ((head & HAS_VERSION) !== 0) length += 4 + buffer.readUInt32LE(at + length)
  return length
}

export function readEntry (buffer: Buffer, at: number): KeyEntry {
  const head = buffer.readUInt32LE(at)
  const keyBytes = head >>> 3
  const flags = head & 7
  const key = buffer.toString('utf8', at + 4, at + 4 + keyBytes)
  if (flags === 0) return { key }
  let pos = at + 4 + keyBytes
  let size: number | undefined
  let lastModified: Date | undefined
  if ((flags & HAS_SIZE) !== 0) {
    size = buffer.readDoubleLE(pos)
    pos += 8
  }
  if ((flags & HAS_TIME) !== 0) {
    lastModified = new Date(buffer.readDoubleLE(pos))
    pos += 8
  }
  const version = (flags & HAS_VERSION) !== 0 ? readKey(buffer, pos) : undefined
  return {
    key,
    ...(size === undefined ? {} : { size }),
    ...(lastModified === undefined ? {} : { lastModified }),
    ...(version === undefined ? {} : { version })
  }
}

// Keys are mostly tens of bytes: a loop copies those without Buffer#copy's argument checks and
// the view it makes each call (about 70 ns a key in Buffer#copy, measured on spilled keys).
const LOOP_COPY_MAX = 64

/** Copies source[start, end) to target at `at`; returns the position after it. */
export function copyBytes (source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  if (end - start > LOOP_COPY_MAX) {
    target.set(source.subarray(start, end), at)
    return at + end - start
  }
  for (let i = start; i < end; i++) target[at++] = source[i] as number
  return at
}
