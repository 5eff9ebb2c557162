import { sharedArena } from '../bloom/wasm-arena.ts'
import type { LineChunk } from '../contracts/key-source.ts'

/**
 * The Bloom filter's hash (XXH64, seed 0) of every line of chunks, two words a line as
 * hashBatch writes them, hashed where the lines lie (WasmArena.packLines).
 */
export class LineFilterHasher {
  private words = new Uint32Array(0)

  /** Words 2i and 2i + 1 are line i's hash, valid until the next call. */
  hash (chunk: LineChunk): Uint32Array {
    if (this.words.length < 2 * chunk.length) this.words = new Uint32Array(4 * chunk.length)
    const a = sharedArena()
    for (let from = 0; from < chunk.length;) {
      const m = a.packLines(chunk, from)
      a.kernel.hash(m, a.offsetsPtr, 8, a.bytesPtr, a.outPtr, 0)
      a.copyOut(2 * m, this.words, 2 * from)
      from += m
    }
    return this.words
  }
}
