import { crc32 } from 'node:zlib'
import { FilterFormatError, FilterShapeError } from './filter-errors.ts'

/**
 * The portable form of a filter: a 32-byte little-endian header, then the Parquet bitset
 * unchanged (blocks × 8 little-endian 32-bit words), so the body can be copied into a
 * Parquet file's Bloom filter as it is.
 *
 *   0  4  magic "KDBF"
 *   4  2  format version (1)
 *   6  1  algorithm: 1 = split block, 256-bit blocks of eight 32-bit words, Parquet salts
 *   7  1  hash: 1 = XXH64, seed 0, of the key's UTF-8 bytes
 *   8  4  blocks
 *  12  4  CRC-32 of the bitset
 *  16  8  keys inserted (float64; an estimate after a union)
 *  24  4  reserved, zero
 *  28  4  CRC-32 of bytes 0–27
 */
export const HEADER_BYTES = 32
export const FORMAT_VERSION = 1
export const ALGORITHM_SPLIT_BLOCK = 1
export const HASH_XXH64 = 1
const MAGIC = 0x4642444b // "KDBF" read little-endian

export interface FilterImage {
  blocks: number
  insertedCount: number
  /** The Parquet bitset: blocks × 32 bytes. */
  bitset: Uint8Array
}

export function encodeFilter (image: FilterImage): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + image.bitset.byteLength)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint16(4, FORMAT_VERSION, true)
  view.setUint8(6, ALGORITHM_SPLIT_BLOCK)
  view.setUint8(7, HASH_XXH64)
  view.setUint32(8, image.blocks, true)
  view.setUint32(12, crc32(image.bitset), true)
  view.setFloat64(16, image.insertedCount, true)
  view.setUint32(28, crc32(out.subarray(0, 28)), true)
  out.set(image.bitset, HEADER_BYTES)
  return out
}

/** Checks the header and the checksums; `bitset` is a view into `bytes`, not a copy. */
export function decodeFilter (bytes: Uint8Array, source = 'bytes'): FilterImage {
  if (bytes.byteLength < HEADER_BYTES) throw new FilterFormatError(source, `${bytes.byteLength} bytes is shorter than the ${HEADER_BYTES}-byte header`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== MAGIC) throw new FilterFormatError(source, 'not a keydiff Bloom filter (no KDBF magic)')
  const version = view.getUint16(4, true)
  if (version !== FORMAT_VERSION) throw new FilterFormatError(source, `format version ${version}; this keydiff reads version ${FORMAT_VERSION}`)
  if (view.getUint32(28, true) !== crc32(bytes.subarray(0, 28))) throw new FilterFormatError(source, 'the header checksum does not match: the bytes are corrupted')
  const algorithm = view.getUint8(6)
  if (algorithm !== ALGORITHM_SPLIT_BLOCK) throw new FilterShapeError(`${source} uses filter algorithm ${algorithm}; only ${ALGORITHM_SPLIT_BLOCK} (split block, 256-bit blocks) is known`)
  const hash = view.getUint8(7)
  if (hash !== HASH_XXH64) throw new FilterShapeError(`${source} uses hash ${hash}; only ${HASH_XXH64} (XXH64, seed 0) is known`)
  const blocks = view.getUint32(8, true)
  if (blocks < 1) throw new FilterFormatError(source, 'the header declares no blocks')
  const expected = HEADER_BYTES + blocks * 32
  if (bytes.byteLength !== expected) throw new FilterFormatError(source, `${bytes.byteLength} bytes for ${blocks} blocks, expected ${expected}: the bytes were cut short or padded`)
  const bitset = bytes.subarray(HEADER_BYTES)
  if (view.getUint32(12, true) !== crc32(bitset)) throw new FilterFormatError(source, 'the bitset checksum does not match: the bytes are corrupted')
  return { blocks, insertedCount: view.getFloat64(16, true), bitset }
}
