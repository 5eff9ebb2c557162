import { hashBatch } from '../bloom/batch-hasher.ts'
import type { KeyBatch } from '../keys/key-entry.ts'

/** Seeds of the two XXH64 halves; the first is the Bloom filter's, so its hash can be shared. */
export const SEED_HIGH = 0
export const SEED_LOW = 0x9e3779b9

/**
 * 128-bit fingerprints of a batch's keys (UTF-8 bytes): four 32-bit words per key in `out`,
 * `out[4i]..out[4i+3]`, most significant first. Two keys with the same fingerprint are
 * treated as one: a collision (odds about n²/2¹²⁹) can hide an orphan, never invent one,
 * because a candidate is only reported when no reference has its fingerprint.
 */
export class Fingerprinter {
  private high = new Uint32Array(0)
  private low = new Uint32Array(0)
  private words = new Uint32Array(0)

  /** Returns at least `4 * batch.length` words, valid until the next call. */
  fingerprint (batch: KeyBatch): Uint32Array {
    const n = batch.length
    if (this.high.length < 2 * n) {
      this.high = new Uint32Array(4 * n)
      this.low = new Uint32Array(4 * n)
      this.words = new Uint32Array(8 * n)
    }
    const words = this.words
    hashBatch(batch, this.high, SEED_HIGH)
    hashBatch(batch, this.low, SEED_LOW)
    const high = this.high
    const low = this.low
    for (let i = 0; i < n; i++) {
      words[4 * i] = high[2 * i] as number
      words[4 * i + 1] = high[2 * i + 1] as number
      words[4 * i + 2] = low[2 * i] as number
      words[4 * i + 3] = low[2 * i + 1] as number
    }
    return words
  }
}
