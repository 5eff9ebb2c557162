import type { KeyBatch } from '../keys/key-entry.ts'
import { sharedArena } from './wasm-arena.ts'

/**
 * XXH64 of every key of a batch (UTF-8 bytes), written as two 32-bit words per key:
 * `out[2i]` the upper and `out[2i + 1]` the lower half. `seed` is an unsigned 32-bit value.
 * The keys are hashed in WebAssembly, a chunk of keys per call, with no per-key allocation.
 */
export function hashBatch (batch: KeyBatch, out: Uint32Array, seed = 0): void {
  if (out.length < batch.length * 2) throw new RangeError('hashBatch: out needs two words per key')
  const a = sharedArena()
  for (let from = 0; from < batch.length;) {
    const n = a.pack(batch, from)
    a.kernel.hash(n, a.offsetsPtr, 4, a.bytesPtr, a.outPtr, seed >>> 0)
    a.copyOut(n * 2, out, from * 2)
    from += n
  }
}
