import type { KeyEntry } from '../keys/key-entry.ts'
import { fingerprintPacked } from '../spill/fingerprint.ts'
import type { HashedBatch } from '../spill/hashed-batch.ts'
import type { KeysFileWriter } from '../spill/keys-file.ts'
import { copyBytes } from '../spill/records.ts'
import type { RoutedRecords } from '../spill/routed-records.ts'
import { lineText } from './line-chunks.ts'
import type { LineChunk } from '../contracts/key-source.ts'

/** The lines of a chunk with their fingerprints; a line becomes a string only in `entry`. */
export class LineBatch implements HashedBatch {
  readonly length: number

  constructor (readonly chunk: LineChunk, readonly words: Uint32Array, readonly routed?: RoutedRecords | undefined) {
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

  spillKeys (from: number, keys: KeysFileWriter): void {
    // The chunk's bytes are whole lines to their end, so from line `from`'s start on they split
    // again into exactly lines from.. (see KeysFileWriter.lines).
    const chunk = this.chunk
    keys.lines(chunk.bytes.subarray(chunk.starts[from]), chunk.length - from)
  }
}

/**
 * Hashes the lines of chunks where they lie (WasmArena.packLines). The fingerprints equal
 * those of the same keys as strings (fingerprint.ts): the first seed's words are the Bloom
 * filter's hash.
 */
export class LineHasher {
  private words = new Uint32Array(0)

  /** Fingerprints every line: words 4i..4i+3 are line i's, valid until the next call. */
  hash (chunk: LineChunk): LineBatch {
    if (this.words.length < 4 * chunk.length) this.words = new Uint32Array(4 * chunk.length)
    fingerprintPacked(chunk.length, 8, (a, from) => a.packLines(chunk, from), this.words)
    return new LineBatch(chunk, this.words)
  }
}
