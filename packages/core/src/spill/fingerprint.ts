import { sharedArena, type WasmArena } from '../bloom/wasm-arena.ts'
import type { KeyBatch } from '../keys/key-entry.ts'

/**
 * 128-bit fingerprints of a batch's keys (UTF-8 bytes): four 32-bit words per key in `out`,
 * `out[4i]..out[4i+3]`, most significant first: XXH64 with seed 0 (the Bloom filter's hash,
 * so that it can be shared), then XXH64 with seed 0x9e3779b9, both from one pass over the
 * bytes (sbbf.wat, `fingerprint`). Two keys with the same fingerprint are treated as one: a
 * collision (odds about n²/2¹²⁹) can hide an orphan, never invent one, because a candidate is
 * only reported when no reference has its fingerprint.
 */
export class Fingerprinter {
  private words = new Uint32Array(0)

  /** Returns at least `4 * batch.length` words, valid until the next call. */
  fingerprint (batch: KeyBatch): Uint32Array {
    const n = batch.length
    if (this.words.length < 4 * n) this.words = new Uint32Array(8 * n)
    fingerprintPacked(n, 4, (a, from) => a.pack(batch, from), this.words)
    return this.words
  }
}

/**
 * Fingerprints `count` keys into `words` (4i..4i+3 for key i): `pack(arena, from)` packs
 * keys from `from` on and says how many, laid out for the kernel's offset `step` (4 for
 * keys end to end, 8 for lines).
 */
export function fingerprintPacked (count: number, step: 4 | 8, pack: (arena: WasmArena, from: number) => number, words: Uint32Array): void {
  const a = sharedArena()
  for (let from = 0; from < count;) {
    const m = pack(a, from)
    a.kernel.fingerprint(m, a.offsetsPtr, step, a.bytesPtr, a.outPtr)
    a.copyOut(4 * m, words, 4 * from)
    from += m
  }
}
