import { KeydiffError } from '../errors.ts'
import type { KeyBatch } from '../keys/key-entry.ts'
import { xxh64 } from './xxh64.ts'
import { BLOCK_BYTES, blocksFor, predictedFalsePositiveRate } from './sizing.ts'

const SALT = new Uint32Array([0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31])
const encoder = new TextEncoder()

export interface FilterSizeOptions {
  /** Keys expected; with `falsePositiveRate` this sets the size. */
  expectedCount?: number
  /** Target false-positive rate. @default 0.01 */
  falsePositiveRate?: number
  /** A byte budget; the filter takes at most this many bytes (a multiple of 32). */
  maxBytes?: number
}

/**
 * The Split Block Bloom Filter of the Apache Parquet format: 256-bit blocks of eight 32-bit
 * words, XXH64 (seed 0) of the key's UTF-8 bytes, the block from the upper 32 bits of the
 * hash and one bit per word from the lower 32 bits times the spec's salts. Its bytes mean
 * the same thing to any Parquet reader. It never answers "absent" for a key that was added.
 */
export class SplitBlockBloomFilter {
  readonly words: Uint32Array
  readonly blocks: number
  /** Keys added (with repeats), for the false-positive estimate. */
  insertedCount = 0

  constructor (blocks: number, words?: Uint32Array) {
    if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError('a filter needs at least one block')
    if (words !== undefined && words.length !== blocks * 8) throw new KeydiffError(`filter bytes hold ${words.length / 8} blocks, expected ${blocks}`, 'KEYDIFF_FILTER_SHAPE')
    this.blocks = blocks
    this.words = words ?? new Uint32Array(blocks * 8)
  }

  /** Sizes a filter from an expected count and rate, capped by a byte budget. */
  static create (options: FilterSizeOptions): SplitBlockBloomFilter {
    const rate = options.falsePositiveRate ?? 0.01
    const maxBlocks = options.maxBytes === undefined ? Infinity : Math.max(1, Math.floor(options.maxBytes / BLOCK_BYTES))
    const wanted = options.expectedCount === undefined ? maxBlocks : blocksFor(options.expectedCount, rate)
    if (!Number.isFinite(wanted)) throw new TypeError('SplitBlockBloomFilter.create needs expectedCount or maxBytes')
    return new SplitBlockBloomFilter(Math.min(wanted, maxBlocks))
  }

  get byteLength (): number {
    return this.blocks * BLOCK_BYTES
  }

  /** Adds one key, given as a 64-bit hash split into its upper and lower 32 bits. */
  insertHash (high: number, low: number): void {
    const base = this.blockIndex(high) * 8
    const words = this.words
    for (let i = 0; i < 8; i++) words[base + i] = (words[base + i] as number) | (1 << (Math.imul(low, SALT[i] as number) >>> 27))
  }

  checkHash (high: number, low: number): boolean {
    const base = this.blockIndex(high) * 8
    const words = this.words
    for (let i = 0; i < 8; i++) {
      if (((words[base + i] as number) & (1 << (Math.imul(low, SALT[i] as number) >>> 27))) === 0) return false
    }
    return true
  }

  add (key: string): void {
    const hash = xxh64(encoder.encode(key))
    this.insertHash(Number(hash >> 32n), Number(hash & 0xffffffffn))
    this.insertedCount++
  }

  has (key: string): boolean {
    const hash = xxh64(encoder.encode(key))
    return this.checkHash(Number(hash >> 32n), Number(hash & 0xffffffffn))
  }

  addBatch (batch: KeyBatch): void {
    for (let i = 0; i < batch.length; i++) this.add((batch[i] as { key: string }).key)
  }

  /** Sets `out[i]` to 1 when key i may be present, 0 when it certainly is not. */
  checkBatch (batch: KeyBatch, out: Uint8Array): void {
    for (let i = 0; i < batch.length; i++) out[i] = this.has((batch[i] as { key: string }).key) ? 1 : 0
  }

  /** The false-positive rate predicted for the keys added so far. */
  estimatedFalsePositiveRate (): number {
    return predictedFalsePositiveRate(this.insertedCount, this.blocks)
  }

  // (high * blocks) >> 32, computed exactly: the product can exceed 2^53.
  private blockIndex (high: number): number {
    const hi16 = high >>> 16
    const lo16 = high & 0xffff
    return Math.floor((hi16 * this.blocks + Math.floor(lo16 * this.blocks / 65536)) / 65536)
  }
}
