import { CHUNK_KEYS, kernelOn, type SbbfKernel } from './wasm-arena.ts'
import type { WasmMemory } from '../util/wasm.ts'

/**
 * Where an adder finds a filter still open for keys (SplitBlockBloomFilter.adderRegion):
 * plain data and a shared WebAssembly memory, so it can be posted to another thread.
 */
export interface FilterAdderRegion {
  readonly memory: WasmMemory
  readonly blocks: number
  /** Byte offset of the seal word: 0 while keys may be added. */
  readonly seal: number
  /** Byte offset of the count of adders that have finished (`finish`). */
  readonly finished: number
  /** Byte offset of this adder's room (CHECKER_BYTES): the hashes it adds. */
  readonly room: number
}

/**
 * Adds hashed keys to a filter from another thread, in that filter's shared memory, while
 * other adders add theirs: every bit is set by an atomic OR, so none is lost to another
 * thread's write of the same block. The filter's own thread takes the keys in
 * (SplitBlockBloomFilter.tookAdds) once every adder has finished: the adder's last atomic
 * write, `finish`, is what that thread's load pairs with, so it sees every bit set before.
 */
export class FilterAdder {
  private readonly kernel: SbbfKernel
  private readonly words: Uint32Array
  private readonly state: Int32Array
  private readonly region: FilterAdderRegion
  private done = false

  constructor (region: FilterAdderRegion) {
    const buffer = region.memory.buffer
    this.state = new Int32Array(buffer)
    // Loaded before the first write of a bit: it pairs with the store that opened (cleared) the filter.
    if (Atomics.load(this.state, region.seal >>> 2) !== 0) throw new Error('the filter is sealed: it takes no more keys')
    this.kernel = kernelOn(region.memory, true)
    this.words = new Uint32Array(buffer)
    this.region = region
  }

  /** Adds `count` keys given by their hashes, as SplitBlockBloomFilter.addHashes. */
  addHashes (words: Uint32Array, stride: 2 | 4, count: number): void {
    if (this.done) throw new Error('the adder has finished: it adds no more keys')
    const { room, blocks } = this.region
    for (let from = 0; from < count; from += CHUNK_KEYS) {
      const n = Math.min(CHUNK_KEYS, count - from)
      this.words.set(words.subarray(from * stride, (from + n) * stride), room >>> 2)
      this.kernel.addHashesAtomic(n, room, stride * 4, 0, blocks)
    }
  }

  /** Says that this adder has added all of its keys: the last thing it does with the filter. */
  finish (): void {
    if (this.done) return
    this.done = true
    Atomics.add(this.state, this.region.finished >>> 2, 1)
  }
}
