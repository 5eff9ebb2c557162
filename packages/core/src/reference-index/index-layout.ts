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

/** Indices 0..n-1 ordered by fingerprint, so LevelDB is fed and read in key order. */
export function fingerprintOrder (words: Uint32Array, n: number): Uint32Array {
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  return order.sort((x, y) => {
    for (let w = 0; w < 4; w++) {
      const a = words[4 * x + w] as number
      const b = words[4 * y + w] as number
      if (a !== b) return a < b ? -1 : 1
    }
    return 0
  })
}
