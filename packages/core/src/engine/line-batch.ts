import { WasmArena } from '../bloom/wasm-arena.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import type { HashedBatch } from '../spill/hashed-batch.ts'
import { CANDIDATE_HEAD, copyBytes, padded, writeCandidateHead } from '../spill/records.ts'
import { lineText, type LineChunk } from './line-chunks.ts'

/** The lines of a chunk with their fingerprints; a line becomes a string only in `entry`. */
export class LineBatch implements HashedBatch {
  readonly length: number

  constructor (private readonly chunk: LineChunk, readonly words: Uint32Array) {
    this.length = chunk.length
  }

  entry (i: number): KeyEntry {
    return { key: lineText(this.chunk, i) }
  }

  keyBound (i: number): number {
    return 4 + (this.chunk.ends[i] as number) - (this.chunk.starts[i] as number)
  }

  writeKey (i: number, buffer: Buffer, at: number): number {
    const start = this.chunk.starts[i] as number
    const end = this.chunk.ends[i] as number
    buffer.writeUInt32LE(end - start, at)
    return copyBytes(this.chunk.bytes, start, end, buffer, at + 4)
  }

  candidateBound (i: number): number {
    return CANDIDATE_HEAD + padded((this.chunk.ends[i] as number) - (this.chunk.starts[i] as number))
  }

  writeCandidate (i: number, buffer: Buffer, view: Uint32Array, at: number): number {
    const start = this.chunk.starts[i] as number
    const end = this.chunk.ends[i] as number
    writeCandidateHead(view, at, this.words, i, end - start, 0)
    copyBytes(this.chunk.bytes, start, end, buffer, at + CANDIDATE_HEAD)
    return at + CANDIDATE_HEAD + padded(end - start)
  }
}

/**
 * Hashes the lines of chunks where they lie (WasmArena.packLines). The fingerprints equal
 * those of the same keys as strings (fingerprint.ts): the first seed's words are the Bloom
 * filter's hash.
 */
export class LineHasher {
  private readonly arena = new WasmArena(0)
  private readonly fallback = new Fingerprinter()
  private words = new Uint32Array(0)

  /** Fingerprints every line: words 4i..4i+3 are line i's, valid until the next call. */
  hash (chunk: LineChunk): LineBatch {
    const n = chunk.length
    if (this.words.length < 4 * n) this.words = new Uint32Array(4 * n)
    const words = this.words
    const arena = this.arena
    for (let from = 0; from < n;) {
      const m = arena.packLines(chunk, from)
      if (m === 0) {
        // A line longer than the arena's byte area: hashed as a string, which grows memory elsewhere.
        const single = this.fallback.fingerprint([{ key: lineText(chunk, from) }])
        words.set(single.subarray(0, 4), 4 * from)
        from++
        continue
      }
      arena.kernel.fingerprint(m, arena.offsetsPtr, 8, arena.bytesPtr, arena.outPtr)
      arena.copyOut(4 * m, words, 4 * from)
      from += m
    }
    return new LineBatch(chunk, words)
  }
}
