import type { KeyEntry } from '../keys/key-entry.ts'

/**
 * Spill records, little-endian. A reference: fingerprint (16 bytes), state (1), then, when
 * missing keys are wanted, the key as a u32 length and UTF-8 bytes. A candidate: fingerprint,
 * flags (1), key length (u32) and bytes, then size (f64), lastModified (f64 ms) and version
 * (u32 length, UTF-8) as the flags say.
 */
export const FINGERPRINT_BYTES = 16
export const CANDIDATE_HEAD = FINGERPRINT_BYTES + 1 + 4

const HAS_SIZE = 1
const HAS_TIME = 2
const HAS_VERSION = 4

export function writeFingerprint (buffer: Buffer, at: number, words: Uint32Array, i: number): void {
  buffer.writeUInt32LE(words[4 * i] as number, at)
  buffer.writeUInt32LE(words[4 * i + 1] as number, at + 4)
  buffer.writeUInt32LE(words[4 * i + 2] as number, at + 8)
  buffer.writeUInt32LE(words[4 * i + 3] as number, at + 12)
}

/** Reads the fingerprint at `at` into `out[0..3]`. */
export function readFingerprint (buffer: Buffer, at: number, out: Uint32Array): void {
  out[0] = buffer.readUInt32LE(at)
  out[1] = buffer.readUInt32LE(at + 4)
  out[2] = buffer.readUInt32LE(at + 8)
  out[3] = buffer.readUInt32LE(at + 12)
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

export function candidateBound (entry: KeyEntry): number {
  return CANDIDATE_HEAD + entry.key.length * 3 + 16 + (entry.version === undefined ? 0 : keyBound(entry.version))
}

/** Writes a candidate record (fingerprint i of `words`); returns the position after it. */
export function writeCandidate (buffer: Buffer, at: number, words: Uint32Array, i: number, entry: KeyEntry): number {
  writeFingerprint(buffer, at, words, i)
  let flags = 0
  let pos = writeKey(buffer, at + FINGERPRINT_BYTES + 1, entry.key)
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
    pos = writeKey(buffer, pos, entry.version)
  }
  buffer[at + FINGERPRINT_BYTES] = flags
  return pos
}

/**
 * The length of the candidate record at `at`, given that its head (CANDIDATE_HEAD bytes) is
 * readable; `-1 - n` when n more bytes are needed to know it (the version's length).
 */
export function candidateLength (buffer: Buffer, at: number, readable: number): number {
  const flags = buffer[at + FINGERPRINT_BYTES] as number
  let length = CANDIDATE_HEAD + buffer.readUInt32LE(at + FINGERPRINT_BYTES + 1)
  if ((flags & HAS_SIZE) !== 0) length += 8
  if ((flags & HAS_TIME) !== 0) length += 8
  if ((flags & HAS_VERSION) !== 0) {
    if (readable < length + 4) return -1 - (length + 4)
    length += 4 + buffer.readUInt32LE(at + length)
  }
  return length
}

export function readCandidate (buffer: Buffer, at: number): KeyEntry {
  const flags = buffer[at + FINGERPRINT_BYTES] as number
  const keyAt = at + FINGERPRINT_BYTES + 1
  const key = readKey(buffer, keyAt)
  let pos = keyAt + 4 + buffer.readUInt32LE(keyAt)
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
  if (flags === 0) return { key }
  const version = (flags & HAS_VERSION) !== 0 ? readKey(buffer, pos) : undefined
  return {
    key,
    ...(size === undefined ? {} : { size }),
    ...(lastModified === undefined ? {} : { lastModified }),
    ...(version === undefined ? {} : { version })
  }
}
