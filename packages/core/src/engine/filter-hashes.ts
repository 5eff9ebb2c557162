import type { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import type { HashedBatch } from '../spill/hashed-batch.ts'

// The Parquet split-block salts (the filter's own bit rule, inlined here so that a batch costs
// one loop rather than a method call and a memory check per key).
const S0 = 0x47b6137b
const S1 = 0x44974d91
const S2 = 0x8824ad5b
const S3 = 0xa2b7289d
const S4 = 0x705495c7
const S5 = 0x2df1424b
const S6 = 0x9efc4947
const S7 = 0x5c6bfb31

/** The filter's block of a hash's upper word: floor(high × blocks / 2³²), exact in doubles. */
function blockOf (high: number, blocks: number): number {
  return Math.floor(((high >>> 16) * blocks + Math.floor((high & 0xffff) * blocks / 65536)) / 65536)
}

/** Adds every key of a batch whose words 4i, 4i+1 are the filter's XXH64 (seed 0) hash. */
export function insertHashed (filter: SplitBlockBloomFilter, batch: HashedBatch): void {
  const words = filter.words
  const blocks = filter.blocks
  const hashes = batch.words
  for (let i = 0; i < batch.length; i++) {
    const at = blockOf(hashes[4 * i] as number, blocks) * 8
    const low = hashes[4 * i + 1] as number
    words[at] = (words[at] as number) | (1 << (Math.imul(low, S0) >>> 27))
    words[at + 1] = (words[at + 1] as number) | (1 << (Math.imul(low, S1) >>> 27))
    words[at + 2] = (words[at + 2] as number) | (1 << (Math.imul(low, S2) >>> 27))
    words[at + 3] = (words[at + 3] as number) | (1 << (Math.imul(low, S3) >>> 27))
    words[at + 4] = (words[at + 4] as number) | (1 << (Math.imul(low, S4) >>> 27))
    words[at + 5] = (words[at + 5] as number) | (1 << (Math.imul(low, S5) >>> 27))
    words[at + 6] = (words[at + 6] as number) | (1 << (Math.imul(low, S6) >>> 27))
    words[at + 7] = (words[at + 7] as number) | (1 << (Math.imul(low, S7) >>> 27))
  }
  filter.insertedCount += batch.length
}
