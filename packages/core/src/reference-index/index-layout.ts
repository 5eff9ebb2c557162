import type { HashedBatch } from '../spill/hashed-batch.ts'

/**
 * How the reference index lays out LevelDB. A reference is `0x01` + its 128-bit fingerprint
 * (big-endian, so LevelDB's order is the fingerprint's) → `u8 n, n × u16 source id, UTF-8 key`.
 * The metadata is one JSON value under `0x00 meta`.
 */
export const INDEX_FORMAT = 'keydiff-reference-index'
export const INDEX_VERSION = 1
export const META_KEY = Buffer.from('\x00meta', 'latin1')

export interface IndexSourceInfo {
  name: string
  /** When this source's last scan into the index started. */
  scanStartedAt: string
}

export interface IndexMeta {
  format: typeof INDEX_FORMAT
  version: number
  sources: IndexSourceInfo[]
  /** Distinct references held. */
  count: number
  createdAt: string
}

export function referenceKey (words: Uint32Array, i: number): Buffer {
  const key = Buffer.allocUnsafe(17)
  key[0] = 1
  key.writeUInt32BE(words[4 * i] as number, 1)
  key.writeUInt32BE(words[4 * i + 1] as number, 5)
  key.writeUInt32BE(words[4 * i + 2] as number, 9)
  key.writeUInt32BE(words[4 * i + 3] as number, 13)
  return key
}

export function encodeValue (ids: readonly number[], key: string): Buffer {
  const head = 1 + 2 * ids.length
  const value = Buffer.allocUnsafe(head + Buffer.byteLength(key))
  value[0] = ids.length
  ids.forEach((id, i) => value.writeUInt16LE(id, 1 + 2 * i))
  value.write(key, head, 'utf8')
  return value
}

export function decodeIds (value: Uint8Array): number[] {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return Array.from({ length: buffer[0] as number }, (_, i) => buffer.readUInt16LE(1 + 2 * i))
}

export function decodeKey (value: Uint8Array): string {
  const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength)
  return buffer.toString('utf8', 1 + 2 * (buffer[0] as number))
}

/** The LevelDB keys of fingerprints `order[k]` of `words`, as views of one allocation. */
export function referenceKeys (words: Uint32Array, order: Uint32Array): Buffer[] {
  const slab = Buffer.allocUnsafe(17 * order.length)
  const keys = new Array<Buffer>(order.length)
  for (let k = 0; k < order.length; k++) {
    const i = order[k] as number
    const at = 17 * k
    slab[at] = 1
    slab.writeUInt32BE(words[4 * i] as number, at + 1)
    slab.writeUInt32BE(words[4 * i + 1] as number, at + 5)
    slab.writeUInt32BE(words[4 * i + 2] as number, at + 9)
    slab.writeUInt32BE(words[4 * i + 3] as number, at + 13)
    keys[k] = slab.subarray(at, at + 17)
  }
  return keys
}

/**
 * The value of key i of a batch claimed by one source, straight from the batch's bytes: the
 * key is written length-prefixed (4 bytes) and the header (1 + 2 bytes) then written over the
 * last three bytes of that prefix.
 */
export function blindValue (batch: HashedBatch, i: number, id: number): Buffer {
  const buffer = Buffer.allocUnsafe(batch.keyBound(i))
  const end = batch.writeKey(i, buffer, 0)
  buffer[1] = 1
  buffer.writeUInt16LE(id, 2)
  return buffer.subarray(1, end)
}

const DIGITS = 65536

/**
 * Indices 0..n-1 ordered by the fingerprints' upper 64 bits (LSD radix sort, four 16-bit
 * digits), so LevelDB is fed and read in key order.
 */
export function fingerprintOrder (words: Uint32Array, n: number): Uint32Array {
  let order = new Uint32Array(n)
  let next = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  const counts = new Uint32Array(DIGITS)
  for (let pass = 0; pass < 4; pass++) {
    const word = pass < 2 ? 1 : 0
    const shift = pass % 2 === 0 ? 0 : 16
    counts.fill(0)
    for (let k = 0; k < n; k++) {
      const digit = ((words[4 * (order[k] as number) + word] as number) >>> shift) & 0xffff
      counts[digit] = (counts[digit] as number) + 1
    }
    let sum = 0
    for (let digit = 0; digit < DIGITS; digit++) {
      const c = counts[digit] as number
      counts[digit] = sum
      sum += c
    }
    for (let k = 0; k < n; k++) {
      const i = order[k] as number
      const digit = ((words[4 * i + word] as number) >>> shift) & 0xffff
      next[counts[digit] as number] = i
      counts[digit] = (counts[digit] as number) + 1
    }
    const swap = order
    order = next
    next = swap
  }
  return order
}

/** `fingerprintOrder` without repeats: of equal 128-bit fingerprints only the first is kept. */
export function distinctOrder (words: Uint32Array, n: number): Uint32Array {
  const order = fingerprintOrder(words, n)
  let kept = 0
  for (let k = 0; k < n; k++) {
    const i = order[k] as number
    if (kept > 0) {
      const j = order[kept - 1] as number
      if (words[4 * i] === words[4 * j] && words[4 * i + 1] === words[4 * j + 1] && words[4 * i + 2] === words[4 * j + 2] && words[4 * i + 3] === words[4 * j + 3]) continue
    }
    order[kept++] = i
  }
  return order.subarray(0, kept)
}
