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
 * A candidate: its fingerprint, a word of key length × 8 + flags, the key's UTF-8 bytes
 * padded to a word, then size (f64), lastModified (f64 ms) and version (a u32 length and
 * UTF-8 bytes, padded) as the flags say.
 */
export const FINGERPRINT_BYTES = 16
export const CANDIDATE_HEAD = FINGERPRINT_BYTES + 4
/** A longer key cannot be spilled (its length must fit the candidate's head word). */
export const MAX_SPILLED_KEY_BYTES = 2 ** 29 - 1

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

/** Writes a candidate's fingerprint and head word; the key's bytes follow at `at + CANDIDATE_HEAD`. */
export function writeCandidateHead (view: Uint32Array, at: number, words: Uint32Array, i: number, keyBytes: number, flags: number): void {
  if (keyBytes > MAX_SPILLED_KEY_BYTES) throw new KeydiffError(`a key of ${keyBytes} bytes is longer than the ${MAX_SPILLED_KEY_BYTES} bytes a spilled key may have`, 'KEYDIFF_SPILL_FAILED')
  const w = at >>> 2
  view[w] = words[4 * i] as number
  view[w + 1] = words[4 * i + 1] as number
  view[w + 2] = words[4 * i + 2] as number
  view[w + 3] = words[4 * i + 3] as number
  view[w + 4] = keyBytes * 8 + flags
}

export function candidateBound (entry: KeyEntry): number {
  return CANDIDATE_HEAD + padded(entry.key.length * 3) + 16 + (entry.version === undefined ? 0 : 4 + padded(entry.version.length * 3))
}

/** Writes a candidate record (fingerprint i of `words`); returns the position after it. */
export function writeCandidate (buffer: Buffer, view: Uint32Array, at: number, words: Uint32Array, i: number, entry: KeyEntry): number {
  const keyBytes = buffer.write(entry.key, at + CANDIDATE_HEAD, 'utf8')
  let pos = at + CANDIDATE_HEAD + padded(keyBytes)
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
    pos += 4 + padded(length)
  }
  writeCandidateHead(view, at, words, i, keyBytes, flags)
  return pos
}

/**
 * The length of the candidate record at byte `at`, given that its head (CANDIDATE_HEAD bytes)
 * is readable; `-1 - n` when n bytes from `at` must be readable to know it (the version's length).
 */
export function candidateLength (buffer: Buffer, view: Uint32Array, at: number, readable: number): number {
  const head = view[(at >>> 2) + 4] as number
  let length = CANDIDATE_HEAD + padded(head >>> 3)
  if ((head & HAS_SIZE) !== 0) length += 8
  if ((head & HAS_TIME) !== 0) length += 8
  if ((head & HAS_VERSION) !== 0) {
    if (readable < length + 4) return -1 - (length + 4)
    length += 4 + padded(buffer.readUInt32LE(at + length))
  }
  return length
}

export function readCandidate (buffer: Buffer, view: Uint32Array, at: number): KeyEntry {
  const head = view[(at >>> 2) + 4] as number
  const keyBytes = head >>> 3
  const flags = head & 7
  const key = buffer.toString('utf8', at + CANDIDATE_HEAD, at + CANDIDATE_HEAD + keyBytes)
  if (flags === 0) return { key }
  let pos = at + CANDIDATE_HEAD + padded(keyBytes)
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
// the view it makes each call (20M spilled candidates: about 70 ns a key in Buffer#copy).
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
