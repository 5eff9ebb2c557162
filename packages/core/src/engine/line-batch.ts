import { WasmArena } from '../bloom/wasm-arena.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { Fingerprinter, SEED_HIGH, SEED_LOW } from '../spill/fingerprint.ts'
import type { HashedBatch } from '../spill/hashed-batch.ts'
import { CANDIDATE_HEAD, FINGERPRINT_BYTES, writeFingerprint } from '../spill/records.ts'
import type { LineChunk } from './line-chunks.ts'

// The kernel's output area holds 4096 hashes: 2048 lines and the 2047 line ends between them.
const LINES_PER_CALL = 2048

/** The lines of a chunk with their fingerprints; a line becomes a string only in `entry`. */
export class LineBatch implements HashedBatch {
  readonly length: number

  constructor (private readonly chunk: LineChunk, readonly words: Uint32Array) {
    this.length = chunk.length
  }

  entry (i: number): KeyEntry {
    return { key: this.chunk.bytes.toString('utf8', this.chunk.starts[i], this.chunk.ends[i]) }
  }

  keyBound (i: number): number {
    return 4 + (this.chunk.ends[i] as number) - (this.chunk.starts[i] as number)
  }

  writeKey (i: number, buffer: Buffer, at: number): number {
    const start = this.chunk.starts[i] as number
    const end = this.chunk.ends[i] as number
    buffer.writeUInt32LE(end - start, at)
    this.chunk.bytes.copy(buffer, at + 4, start, end)
    return at + 4 + end - start
  }

  candidateBound (i: number): number {
    return CANDIDATE_HEAD + (this.chunk.ends[i] as number) - (this.chunk.starts[i] as number)
  }

  writeCandidate (i: number, buffer: Buffer, at: number): number {
    writeFingerprint(buffer, at, this.words, i)
    buffer[at + FINGERPRINT_BYTES] = 0
    return this.writeKey(i, buffer, at + FINGERPRINT_BYTES + 1)
  }
}

/**
 * Hashes the lines of chunks where they lie: the bytes of up to 2048 lines are copied into
 * WebAssembly memory in one piece, and the kernel, which hashes the ranges between
 * consecutive offsets, is given every line's start and end, so it also hashes the line ends
 * between them (a few bytes each) and those hashes are skipped. The fingerprints equal those
 * of the same keys as strings (fingerprint.ts): the first seed's words are the Bloom filter's hash.
 */
export class LineHasher {
  private readonly arena = new WasmArena(0)
  private readonly fallback = new Fingerprinter()
  private words = new Uint32Array(0)

  /** Fingerprints every line (`seeds` 2), or only the Bloom filter's hash (`seeds` 1, words 0 and 1 of each 4). */
  hash (chunk: LineChunk, seeds: 1 | 2): LineBatch {
    const n = chunk.length
    if (this.words.length < 4 * n) this.words = new Uint32Array(4 * n)
    const words = this.words
    const { bytes, starts, ends } = chunk
    const arena = this.arena
    const memory = arena.current
    const heap = new Uint8Array(memory)
    const u32 = new Uint32Array(memory)
    const room = memory.byteLength - arena.bytesPtr
    const offsets = arena.offsetsPtr >>> 2
    const out = arena.outPtr >>> 2
    for (let from = 0; from < n;) {
      const base = starts[from] as number
      const limit = Math.min(n, from + LINES_PER_CALL)
      let to = from
      while (to < limit && (ends[to] as number) - base <= room) to++
      if (to === from) {
        // A line longer than the arena's byte area: hashed as a string, which grows memory elsewhere.
        const single = this.fallback.fingerprint([{ key: bytes.toString('utf8', base, ends[from]) }])
        words.set(single.subarray(0, 4), 4 * from)
        from++
        continue
      }
      heap.set(bytes.subarray(base, ends[to - 1]), arena.bytesPtr)
      let o = offsets
      for (let k = from; k < to; k++) {
        u32[o++] = (starts[k] as number) - base
        u32[o++] = (ends[k] as number) - base
      }
      const m = to - from
      for (let s = 0; s < seeds; s++) {
        arena.kernel.hash(2 * m - 1, arena.offsetsPtr, arena.bytesPtr, arena.outPtr, s === 0 ? SEED_HIGH : SEED_LOW)
        let w = 4 * from + 2 * s
        for (let k = 0; k < m; k++) {
          words[w] = u32[out + 4 * k] as number
          words[w + 1] = u32[out + 4 * k + 1] as number
          w += 4
        }
      }
      from = to
    }
    return new LineBatch(chunk, words)
  }
}
