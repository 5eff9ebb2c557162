import { open, rename, writeFile } from 'node:fs/promises'
import type { LineChunk } from '../contracts/key-source.ts'
import type { KeyBatch } from '../keys/key-entry.ts'
import { checkBitset, decodeFilter, decodeFilterHeader, encodeFilter, encodeFilterHeader, HEADER_BYTES } from './filter-bytes.ts'
import { FilterFormatError, FilterShapeError } from './filter-errors.ts'
import { BLOCK_BYTES, blocksFor, predictedFalsePositiveRate } from './sizing.ts'
import { CHUNK_KEYS, MAX_RESERVED_BYTES, WasmArena } from './wasm-arena.ts'
import type { FilterCheckerRegion } from './filter-checker.ts'
import type { FilterAdderRegion } from './filter-adder.ts'

// A checker's room after the bitset (and the seal): the hashes of CHUNK_KEYS keys (16 bytes
// each at most) and their answers. An adder on the same thread uses the same room.
export const CHECKER_BYTES = CHUNK_KEYS * 17
// The seal word, then the count of adders that have finished.
const SEAL_BYTES = 16
const FINISHED_AT = 4
const SALT = new Uint32Array([0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31])
const single: [{ key: string }] = [{ key: '' }]
const singleOut = new Uint8Array(1)

/** The most blocks one filter can have: its bitset lives in 32-bit WebAssembly memory. */
export const MAX_FILTER_BLOCKS = Math.floor(MAX_RESERVED_BYTES / BLOCK_BYTES)

export interface FilterSizeOptions {
  /** Keys expected; with `falsePositiveRate` this sets the size. @default undefined (size from `maxBytes`) */
  expectedCount?: number
  /** Target false-positive rate, used with `expectedCount`. @default 0.01 */
  falsePositiveRate?: number
  /** A byte budget: the filter takes at most this many bytes (whole 32-byte blocks), all of it when `expectedCount` is unknown. @default undefined (no cap) */
  maxBytes?: number
}

export interface FilterFileOptions {
  /** Cancels the read or write. @default undefined */
  signal?: AbortSignal
}

/**
 * The Split Block Bloom Filter of the Apache Parquet format: 256-bit blocks of eight 32-bit
 * words, XXH64 (seed 0) of the key's UTF-8 bytes, the block from the upper 32 bits of the
 * hash and one bit per word from the lower 32 bits times the spec's salts. Its bitset means
 * the same thing to any Parquet reader. It never answers "absent" for a key that was added.
 *
 * The bitset lives in WebAssembly memory, where whole batches are hashed and set or tested
 * in one call each.
 */
export class SplitBlockBloomFilter {
  readonly blocks: number
  /** Keys added (with repeats), for the false-positive estimate. */
  insertedCount = 0
  private readonly arena: WasmArena
  private wordsView: Uint32Array
  /** Threads that may check keys against the filter from elsewhere (its memory is then shared). */
  readonly checkers: number

  /**
   * `checkers`: threads that may check keys against the filter from elsewhere (FilterChecker,
   * `checkerRegion`); the filter's memory is then shared, with a room for each after the bitset.
   */
  constructor (blocks: number, words?: Uint32Array, checkers = 0) {
    if (!Number.isInteger(blocks) || blocks < 1) throw new RangeError('a filter needs at least one block')
    if (blocks > MAX_FILTER_BLOCKS) throw new RangeError(`a filter has at most ${MAX_FILTER_BLOCKS} blocks, not ${blocks}`)
    if (words !== undefined && words.length !== blocks * 8) throw new FilterShapeError(`the words hold ${words.length / 8} blocks, expected ${blocks}`)
    if (!Number.isInteger(checkers) || checkers < 0) throw new RangeError('checkers must be a whole number')
    this.blocks = blocks
    this.checkers = checkers
    this.arena = new WasmArena(blocks * BLOCK_BYTES + (checkers === 0 ? 0 : SEAL_BYTES + checkers * CHECKER_BYTES), checkers > 0)
    this.wordsView = new Uint32Array(this.arena.current, 0, blocks * 8)
    // Written now, so that each page of the bitset faults in once: a page first read (a
    // block's touch before its bits are set) maps the zero page and faults again when written.
    if (words !== undefined) this.wordsView.set(words)
    else this.wordsView.fill(0)
  }

  /** Sizes a filter from an expected count and rate, capped by a byte budget. */
  static create (options: FilterSizeOptions): SplitBlockBloomFilter {
    const rate = options.falsePositiveRate ?? 0.01
    const maxBlocks = options.maxBytes === undefined ? Infinity : Math.max(1, Math.floor(options.maxBytes / BLOCK_BYTES))
    const wanted = options.expectedCount === undefined ? maxBlocks : blocksFor(options.expectedCount, rate)
    if (!Number.isFinite(wanted)) throw new TypeError('SplitBlockBloomFilter.create needs expectedCount or maxBytes')
    return new SplitBlockBloomFilter(Math.min(wanted, maxBlocks, MAX_FILTER_BLOCKS))
  }

  /** A filter from the bytes of `toBytes()`; refuses other versions, shapes and damaged bytes. */
  static fromBytes (bytes: Uint8Array, source = 'bytes'): SplitBlockBloomFilter {
    const image = decodeFilter(bytes, source)
    const filter = SplitBlockBloomFilter.fromParquetBitset(image.bitset)
    filter.insertedCount = image.insertedCount
    return filter
  }

  /**
   * A filter from a bare Parquet bitset (a column chunk's Bloom filter after its header).
   * The count of keys is unknown, so the estimated rate stays 0 until keys are added.
   */
  static fromParquetBitset (bitset: Uint8Array): SplitBlockBloomFilter {
    if (bitset.byteLength === 0 || bitset.byteLength % BLOCK_BYTES !== 0) throw new FilterShapeError(`a bitset of ${bitset.byteLength} bytes is not whole 32-byte blocks`)
    const filter = new SplitBlockBloomFilter(bitset.byteLength / BLOCK_BYTES)
    filter.bitset.set(bitset)
    return filter
  }

  /**
   * Loads a filter saved with `save()`; errors name the file. The bitset is read straight
   * into the filter's memory, so loading takes the filter's bytes once, not twice.
   */
  static async load (path: string, options: FilterFileOptions = {}): Promise<SplitBlockBloomFilter> {
    const unreadable = (error: unknown): Error => (error as { name?: string }).name === 'AbortError'
      ? error as Error
      : new FilterFormatError(path, `cannot be read: ${(error as Error).message}`, { cause: error })
    const file = await open(path, 'r').catch(error => { throw unreadable(error) })
    try {
      const readFully = async (into: Uint8Array, position: number): Promise<number> => {
        let done = 0
        while (done < into.byteLength) {
          options.signal?.throwIfAborted()
          const { bytesRead } = await file.read(into, done, into.byteLength - done, position + done).catch(error => { throw unreadable(error) })
          if (bytesRead === 0) break
          done += bytesRead
        }
        return done
      }
      const { size } = await file.stat().catch(error => { throw unreadable(error) })
      const head = new Uint8Array(HEADER_BYTES)
      await readFully(head, 0)
      const header = decodeFilterHeader(head, size, path)
      const filter = new SplitBlockBloomFilter(header.blocks)
      const bitset = filter.bitset
      if (await readFully(bitset, HEADER_BYTES) !== bitset.byteLength) throw new FilterFormatError(path, 'the file was cut short while it was read')
      checkBitset(header, bitset, path)
      filter.insertedCount = header.insertedCount
      return filter
    } finally {
      await file.close()
    }
  }

  get byteLength (): number {
    return this.blocks * BLOCK_BYTES
  }

  /** The filter's eight words per block, live (little-endian hosts: the Parquet byte order). */
  get words (): Uint32Array {
    // A very long key grows the arena's memory, which detaches the old view.
    if (this.wordsView.buffer !== this.arena.current) this.wordsView = new Uint32Array(this.arena.current, 0, this.blocks * 8)
    return this.wordsView
  }

  /** The Parquet bitset, live: what a Parquet writer stores after the filter's header. */
  get bitset (): Uint8Array {
    return new Uint8Array(this.words.buffer, 0, this.byteLength)
  }

  /** Empties the filter, keeping its memory (a pass of a bloom diff reuses one filter). */
  clear (): void {
    this.words.fill(0)
    // After the bits are cleared: an adder's load of the seal pairs with this store.
    if (this.checkers > 0) {
      Atomics.store(this.seal, FINISHED_AT >>> 2, 0)
      Atomics.store(this.seal, 0, 0)
    }
    this.insertedCount = 0
  }

  /**
   * What checker `k` (of the constructor's `checkers`) needs to check keys against the filter
   * on another thread: its shared memory and the checker's own room in it. Seals the filter
   * (an Atomics store the checker loads before its first read, so that it sees every bit set
   * before): nothing may be added after, until `clear`.
   */
  checkerRegion (k: number): FilterCheckerRegion {
    const region = this.roomOf(k, 'checkers')
    Atomics.store(this.seal, 0, 1)
    return region
  }

  /**
   * What adder `k` (of the constructor's `checkers`, in checker `k`'s room) needs to add keys
   * to the filter on another thread while others add theirs (FilterAdder). The filter stays
   * open; the keys count once every adder has finished and `tookAdds` takes them in.
   */
  adderRegion (k: number): FilterAdderRegion {
    const region = this.roomOf(k, 'adders')
    this.assertOpen()
    return { ...region, finished: region.seal + FINISHED_AT }
  }

  /** Room `k` of the constructor's `checkers`, after the bitset and the seal, with the memory it lies in. */
  private roomOf (k: number, who: string): FilterCheckerRegion {
    if (!Number.isInteger(k) || k < 0 || k >= this.checkers) throw new RangeError(`the filter has ${this.checkers} ${who}' rooms, not a room ${k}`)
    const sealAt = this.blocks * BLOCK_BYTES
    return { memory: this.arena.memory, blocks: this.blocks, seal: sealAt, room: sealAt + SEAL_BYTES + k * CHECKER_BYTES }
  }

  /**
   * Takes in `count` keys that `adders` adders (adderRegion) added, each of which has
   * finished: a load of their count, which pairs with each one's last write, so that every
   * bit they set is seen here and by the checkers after the seal. Fails when fewer finished.
   */
  tookAdds (count: number, adders: number): void {
    this.assertOpen()
    const finished = this.checkers === 0 ? 0 : Atomics.load(this.seal, FINISHED_AT >>> 2)
    if (finished !== adders) throw new Error(`${finished} of the filter's ${adders} adders have finished: their keys may not all be in`)
    this.insertedCount += count
  }

  private assertOpen (): void {
    if (this.checkers > 0 && Atomics.load(this.seal, 0) !== 0) throw new Error('the filter is sealed for its checkers: nothing may be added until clear()')
  }

  private get seal (): Int32Array {
    return new Int32Array(this.arena.current, this.blocks * BLOCK_BYTES, SEAL_BYTES >>> 2)
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
    single[0].key = key
    this.addBatch(single)
  }

  has (key: string): boolean {
    single[0].key = key
    this.checkBatch(single, singleOut)
    return singleOut[0] === 1
  }

  addBatch (batch: KeyBatch): void {
    this.addPacked(batch.length, 4, (a, from) => a.pack(batch, from))
  }

  /** Sets `out[i]` to 1 when key i may be present, 0 when it certainly is not. */
  checkBatch (batch: KeyBatch, out: Uint8Array): void {
    if (out.length < batch.length) throw new RangeError('checkBatch: out needs one byte per key')
    this.checkPacked(batch.length, 4, (a, from) => a.pack(batch, from), out)
  }

  /** Adds every line of a chunk, hashed from its bytes where it lies (engine/line-chunks.ts). */
  addLines (chunk: LineChunk): void {
    this.addPacked(chunk.length, 8, (a, from) => a.packLines(chunk, from))
  }

  /** Sets `out[i]` to 1 when line i of the chunk may be present, 0 when it certainly is not. */
  checkLines (chunk: LineChunk, out: Uint8Array): void {
    if (out.length < chunk.length) throw new RangeError('checkLines: out needs one byte per line')
    this.checkPacked(chunk.length, 8, (a, from) => a.packLines(chunk, from), out)
  }

  /**
   * Adds `count` keys given by their hashes: key i's are `words[stride * i]` (the upper half)
   * and `words[stride * i + 1]`, as hashBatch writes them (a stride of 2) and as a key's
   * fingerprint begins (4; spill/fingerprint.ts).
   */
  addHashes (words: Uint32Array, stride: 2 | 4, count: number): void {
    this.assertOpen()
    const a = this.arena
    for (let from = 0; from < count; from += CHUNK_KEYS) {
      const n = Math.min(CHUNK_KEYS, count - from)
      a.kernel.addHashes(n, a.copyIn(words.subarray(from * stride, (from + n) * stride)), stride * 4, 0, this.blocks)
    }
    this.insertedCount += count
  }

  /** Sets `out[i]` to 1 when key i of `count` hashed keys (as for addHashes) may be present, 0 when it certainly is not. */
  checkHashes (words: Uint32Array, stride: 2 | 4, count: number, out: Uint8Array): void {
    if (out.length < count) throw new RangeError('checkHashes: out needs one byte per key')
    const a = this.arena
    for (let from = 0; from < count; from += CHUNK_KEYS) {
      const n = Math.min(CHUNK_KEYS, count - from)
      a.kernel.checkHashes(n, a.copyIn(words.subarray(from * stride, (from + n) * stride)), stride * 4, 0, this.blocks, a.outPtr)
      out.set(a.outBytes(n), from)
    }
  }

  // `pack(arena, from)` packs keys from `from` on for the kernel's offset `step` and says how many.
  private addPacked (count: number, step: 4 | 8, pack: (arena: WasmArena, from: number) => number): void {
    this.assertOpen()
    const a = this.arena
    for (let from = 0; from < count;) {
      const n = pack(a, from)
      a.kernel.add(n, a.offsetsPtr, step, a.bytesPtr, 0, this.blocks, a.outPtr)
      from += n
    }
    this.insertedCount += count
  }

  private checkPacked (count: number, step: 4 | 8, pack: (arena: WasmArena, from: number) => number, out: Uint8Array): void {
    const a = this.arena
    for (let from = 0; from < count;) {
      const n = pack(a, from)
      a.kernel.check(n, a.offsetsPtr, step, a.bytesPtr, 0, this.blocks, a.outPtr)
      out.set(a.outBytes(n), from)
      from += n
    }
  }

  /** Sets every bit that `other` sets (bitwise OR); both must have the same number of blocks. */
  union (other: SplitBlockBloomFilter): this {
    if (other.blocks !== this.blocks) throw new FilterShapeError(`cannot union a filter of ${other.blocks} blocks into one of ${this.blocks}`)
    const mine = this.words
    const theirs = other.words
    for (let i = 0; i < mine.length; i++) mine[i] = (mine[i] as number) | (theirs[i] as number)
    // Keys common to both are counted twice: the estimate errs towards a higher rate.
    this.insertedCount += other.insertedCount
    return this
  }

  /** The portable bytes: a versioned header (shape, hash, count, checksums) and the bitset. */
  toBytes (): Uint8Array {
    return encodeFilter({ blocks: this.blocks, insertedCount: this.insertedCount, bitset: this.bitset })
  }

  /** Writes `toBytes()` to a file, through a temporary file so a crash leaves no half filter. */
  async save (path: string, options: FilterFileOptions = {}): Promise<void> {
    const temporary = `${path}.${process.pid}.tmp`
    const bitset = this.bitset
    // The header, then the bitset from the filter's own memory: no copy of a large filter.
    const file = await open(temporary, 'w')
    try {
      await writeFile(file, encodeFilterHeader({ blocks: this.blocks, insertedCount: this.insertedCount, bitset }), { signal: options.signal })
      await writeFile(file, bitset, { signal: options.signal })
    } finally {
      await file.close()
    }
    await rename(temporary, path)
  }

  /**
   * The false-positive rate of the filter as its bits stand: the chance that a key never
   * added passes, averaged over the blocks (a probe needs its bit set in each of a block's
   * eight words). Unlike the prediction from the count of keys added, repeats of a key do not
   * raise it.
   */
  measuredFalsePositiveRate (): number {
    const words = this.words
    let sum = 0
    for (let at = 0; at < words.length; at += 8) {
      let pass = 1
      for (let i = 0; i < 8 && pass > 0; i++) pass *= popcount(words[at + i] as number) / 32
      sum += pass
    }
    return sum / this.blocks
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

function popcount (word: number): number {
  word -= (word >>> 1) & 0x55555555
  word = (word & 0x33333333) + ((word >>> 2) & 0x33333333)
  return (Math.imul((word + (word >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24)
}
