/**
 * XXH64 (seed 0) of a byte range, as the Parquet Bloom filter specifies. This BigInt
 * version is the readable reference; the batch hasher is the fast path.
 */
const MASK = 0xffffffffffffffffn
const P1 = 11400714785074694791n
const P2 = 14029467366897019727n
const P3 = 1609587929392839161n
const P4 = 9650029242287828579n
const P5 = 2870177450012600261n

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & MASK, 31n) * P1) & MASK
const mergeRound = (acc: bigint, value: bigint): bigint => (((acc ^ round(0n, value)) * P1) & MASK) + P4 & MASK

export function xxh64 (bytes: Uint8Array, seed = 0n): bigint {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const length = bytes.byteLength
  let offset = 0
  let hash: bigint
  if (length >= 32) {
    let v1 = (seed + P1 + P2) & MASK
    let v2 = (seed + P2) & MASK
    let v3 = seed
    let v4 = (seed - P1) & MASK
    for (; offset + 32 <= length; offset += 32) {
      v1 = round(v1, view.getBigUint64(offset, true))
      v2 = round(v2, view.getBigUint64(offset + 8, true))
      v3 = round(v3, view.getBigUint64(offset + 16, true))
      v4 = round(v4, view.getBigUint64(offset + 24, true))
    }
    hash = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK
    hash = mergeRound(hash, v1)
    hash = mergeRound(hash, v2)
    hash = mergeRound(hash, v3)
    hash = mergeRound(hash, v4)
  } else {
    hash = (seed + P5) & MASK
  }
  hash = (hash + BigInt(length)) & MASK
  for (; offset + 8 <= length; offset += 8) {
    hash ^= round(0n, view.getBigUint64(offset, true))
    hash = (rotl(hash, 27n) * P1 + P4) & MASK
  }
  if (offset + 4 <= length) {
    hash ^= (BigInt(view.getUint32(offset, true)) * P1) & MASK
    hash = (rotl(hash, 23n) * P2 + P3) & MASK
    offset += 4
  }
  for (; offset < length; offset++) {
    hash ^= (BigInt(bytes[offset] as number) * P5) & MASK
    hash = (rotl(hash, 11n) * P1) & MASK
  }
  hash ^= hash >> 33n
  hash = (hash * P2) & MASK
  hash ^= hash >> 29n
  hash = (hash * P3) & MASK
  hash ^= hash >> 32n
  return hash
}
