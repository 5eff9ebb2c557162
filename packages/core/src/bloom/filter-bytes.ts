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

/** The header of an image, its bitset left where it is (so a large filter is written without a copy). */
export function encodeFilterHeader (image: FilterImage): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES)
  const view = new DataView(out.buffer)
  view.setUint32(0, MAGIC, true)
  view.setUint16(4, FORMAT_VERSION, true)
  view.setUint8(6, ALGORITHM_SPLIT_BLOCK)
  view.setUint8(7, HASH_XXH64)
  view.setUint32(8, image.blocks, true)
  view.setUint32(12, crc32(image.bitset), true)
  view.setFloat64(16, image.insertedCount, true)
  view.setUint32(28, crc32(out.subarray(0, 28)), true)
  return out
}

export function encodeFilter (image: FilterImage): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + image.bitset.byteLength)
  out.set(encodeFilterHeader(image))
  out.set(image.bitset, HEADER_BYTES)
  return out
}

/** What a header says, checked against the image's total length; `bitsetCrc` is for `checkBitset`. */
export interface FilterHeader {
  blocks: number
  insertedCount: number
  bitsetCrc: number
}

/** Checks a header (its first HEADER_BYTES bytes) and that `byteLength` is what it declares. */
export function decodeFilterHeader (header: Uint8Array, byteLength: number, source = 'bytes'): FilterHeader {
  if (header.byteLength < HEADER_BYTES || byteLength < HEADER_BYTES) throw new FilterFormatError(source, `${Math.min(byteLength, header.byteLength)} bytes is shorter than the ${HEADER_BYTES}-byte header`)
  const view = new DataView(header.buffer, header.byteOffset, HEADER_BYTES)
  if (view.getUint32(0, true) !== MAGIC) throw new FilterFormatError(source, 'not a keydiff Bloom filter (no KDBF magic)')
  const version = view.getUint16(4, true)
  if (version !== FORMAT_VERSION) throw new FilterFormatError(source, `format version ${version}; this keydiff reads version ${FORMAT_VERSION}`)
  if (view.getUint32(28, true) !== crc32(header.subarray(0, 28))) throw new FilterFormatError(source, 'the header checksum does not match: the bytes are corrupted')
  const algorithm = view.getUint8(6)
  if (algorithm !== ALGORITHM_SPLIT_BLOCK) throw new FilterShapeError(`${source} uses filter algorithm ${algorithm}; only ${ALGORITHM_SPLIT_BLOCK} (split block, 256-bit blocks) is known`)
  const hash = view.getUint8(7)
  if (hash !== HASH_XXH64) throw new FilterShapeError(`${source} uses hash ${hash}; only ${HASH_XXH64} (XXH64, seed 0) is known`)
  const blocks = view.getUint32(8, true)
  if (blocks < 1) throw new FilterFormatError(source, 'the header declares no blocks')
  const expected = HEADER_BYTES + blocks * 32
  if (byteLength !== expected) throw new FilterFormatError(source, `${byteLength} bytes for ${blocks} blocks, expected ${expected}: the bytes were cut short or padded`)
  return { blocks, insertedCount: view.getFloat64(16, true), bitsetCrc: view.getUint32(12, true) }
}

export function checkBitset (header: FilterHeader, bitset: Uint8Array, source = 'bytes'): void {
  if (header.bitsetCrc !== crc32(bitset)) throw new FilterFormatError(source, 'the bitset checksum does not match: the bytes are corrupted')
}

/** Checks the header and the checksums; `bitset` is a view into `bytes`, not a copy. */
export function decodeFilter (bytes: Uint8Array, source = 'bytes'): FilterImage {
  const header = decodeFilterHeader(bytes, bytes.byteLength, source)
  const bitset = bytes.subarray(HEADER_BYTES)
  checkBitset(header, bitset, source)
  return { blocks: header.blocks, insertedCount: header.insertedCount, bitset }
}
