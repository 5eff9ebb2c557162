import { CHUNK_KEYS, kernelOn, type SbbfKernel } from './wasm-arena.ts'
import type { WasmMemory } from '../util/wasm.ts'

/**
 * Where a checker finds a sealed filter (SplitBlockBloomFilter.checkerRegion): plain data and
 * a shared WebAssembly memory, so it can be posted to another thread.
 */
export interface FilterCheckerRegion {
  readonly memory: WasmMemory
  readonly blocks: number
  /** Byte offset of the seal word, set once the filter's bits are final. */
  readonly seal: number
  /** Byte offset of this checker's room (CHECKER_BYTES): the hashes it checks, then the answers. */
  readonly room: number
}

/**
 * Checks hashed keys against a filter that another thread filled, in that filter's shared
 * memory: no copy of the filter, however many threads check it. Each checker writes only to
 * its own room, and the filter's bits are only read, so checkers need no lock.
 */
export class FilterChecker {
  private readonly kernel: SbbfKernel
  private readonly words: Uint32Array
  private readonly answers: Uint8Array
  private readonly room: number
  private readonly blocks: number

  constructor (region: FilterCheckerRegion) {
    const buffer = region.memory.buffer
    // Loaded before the first read of a bit: it pairs with the store that sealed the filter.
    if (Atomics.load(new Int32Array(buffer, region.seal, 1), 0) !== 1) throw new Error('the filter is not sealed: its bits may still change')
    this.kernel = kernelOn(region.memory, true)
    this.words = new Uint32Array(buffer)
    this.answers = new Uint8Array(buffer, region.room + CHUNK_KEYS * 16, CHUNK_KEYS)
    this.room = region.room
    this.blocks = region.blocks
  }

  /** As SplitBlockBloomFilter.checkHashes: `out[i]` is 1 when key i may be present, 0 when it certainly is not. */
  checkHashes (words: Uint32Array, stride: 2 | 4, count: number, out: Uint8Array): void {
    if (out.length < count) throw new RangeError('checkHashes: out needs one byte per key')
    for (let from = 0; from < count; from += CHUNK_KEYS) {
      const n = Math.min(CHUNK_KEYS, count - from)
      this.words.set(words.subarray(from * stride, (from + n) * stride), this.room >>> 2)
      this.kernel.checkHashes(n, this.room, stride * 4, 0, this.blocks, this.room + CHUNK_KEYS * 16)
      out.set(this.answers.subarray(0, n), from)
    }
  }
}
