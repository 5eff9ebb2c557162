import type { KeyBatch } from '../keys/key-entry.ts'
import { xxh64 } from './xxh64.ts'

const encoder = new TextEncoder()

/**
 * XXH64 of every key of a batch (UTF-8 bytes), written as two 32-bit words per key:
 * `out[2i]` the upper and `out[2i + 1]` the lower half. `seed` is an unsigned 32-bit value.
 */
export function hashBatch (batch: KeyBatch, out: Uint32Array, seed = 0): void {
  if (out.length < batch.length * 2) throw new RangeError('hashBatch: out needs two words per key')
  const big = BigInt(seed >>> 0)
  for (let i = 0; i < batch.length; i++) {
    const hash = xxh64(encoder.encode((batch[i] as { key: string }).key), big)
    out[2 * i] = Number(hash >> 32n)
    out[2 * i + 1] = Number(hash & 0xffffffffn)
  }
}
