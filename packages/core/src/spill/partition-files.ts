import { closeSync, openSync, unlink } from 'node:fs'
import { readSliced, writeSliced } from '../util/sliced-io.ts'
import { asDiskError, truncatedSpillFile } from './disk-full-error.ts'
import { padded } from './records.ts'
import type { SpillDir } from './work-dir.ts'

/**
 * Where one partition's bytes lie in a PartitionWriter's file: `extents` holds an offset and
 * a length for each run of them, in the order they were written.
 */
export interface SpillPart {
  readonly path: string
  readonly extents: readonly number[]
}

/**
 * Append-only partitions in one file, each behind its own buffer: records are encoded
 * straight into `buffers[p]` (or its words, `views[p]`) at `positions[p]` after
 * `reserve(p, bytes)`. A full buffer is appended to the file as one extent of its partition
 * (`part(p)`). One file, not one a partition: creating a file cost half a millisecond on the
 * machines this was measured on, and 512 of them a quarter of a second. Buffers start at
 * offset 0 of their memory, so views are aligned.
 */
export class PartitionWriter {
  readonly buffers: Buffer[]
  readonly views: Uint32Array[]
  readonly positions: Int32Array
  readonly records: Float64Array
  /** The file's path. */
  readonly path: string
  private readonly extents: number[][]
  private fd: number | undefined
  written = 0

  /** `reuse`: buffers of a writer closed before, taken over rather than allocated anew. */
  constructor (private readonly dir: SpillDir, prefix: string, readonly partitions: number, private bufferBytes: number, reuse: Buffer[] = []) {
    bufferBytes = this.bufferBytes = padded(bufferBytes)
    this.path = dir.file(prefix)
    this.fd = this.guard(() => openSync(this.path, 'w'))
    this.extents = Array.from({ length: partitions }, () => [])
    this.buffers = Array.from({ length: partitions }, (_, p) => reuse[p] !== undefined && (reuse[p] as Buffer).length >= bufferBytes ? reuse[p] as Buffer : Buffer.allocUnsafeSlow(bufferBytes))
    this.views = this.buffers.map(wordsOf)
    this.positions = new Int32Array(partitions)
    this.records = new Float64Array(partitions)
  }

  /** Partition p's extents in the file (complete once the writer is closed). */
  part (p: number): SpillPart {
    return { path: this.path, extents: this.extents[p] as number[] }
  }

  /** Makes room for `bytes` more in partition p's buffer and returns that buffer. */
  reserve (p: number, bytes: number): Buffer {
    let buffer = this.buffers[p] as Buffer
    if ((this.positions[p] as number) + bytes > buffer.length) {
      this.flush(p)
      if (bytes > buffer.length) {
        buffer = Buffer.allocUnsafeSlow(padded(Math.max(bytes, this.bufferBytes)))
        this.buffers[p] = buffer
        this.views[p] = wordsOf(buffer)
      }
    }
    return buffer
  }

  /** Appends `bytes` to partition p: copied into its buffer when they fit, else written as they are. */
  append (p: number, bytes: Uint8Array): void {
    const buffer = this.buffers[p] as Buffer
    if ((this.positions[p] as number) + bytes.length <= buffer.length) {
      buffer.set(bytes, this.positions[p] as number)
      this.positions[p] = (this.positions[p] as number) + bytes.length
      return
    }
    this.flush(p)
    if (bytes.length < buffer.length) {
      buffer.set(bytes, 0)
      this.positions[p] = bytes.length
      return
    }
    this.write(p, bytes, bytes.length)
  }

  flush (p: number): void {
    const length = this.positions[p] as number
    if (length === 0) return
    this.write(p, this.buffers[p] as Buffer, length)
    this.positions[p] = 0
  }

  /** Flushes every partition and closes the file, which stays for reading. Returns the buffers, for reuse. */
  close (): Buffer[] {
    for (let p = 0; p < this.partitions; p++) this.flush(p)
    const buffers = this.buffers.slice()
    this.release()
    return buffers
  }

  /** Closes the file without flushing (on failure). */
  release (): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    this.buffers.length = 0
    this.views.length = 0
  }

  private write (p: number, bytes: Uint8Array, length: number): void {
    this.guard(() => { writeSliced(this.fd as number, bytes, 0, length) })
    const extents = this.extents[p] as number[]
    // A run that follows the partition's last in the file lengthens it.
    if (extents.length > 0 && (extents[extents.length - 2] as number) + (extents[extents.length - 1] as number) === this.written) {
      extents[extents.length - 1] = (extents[extents.length - 1] as number) + length
    } else {
      extents.push(this.written, length)
    }
    this.written += length
  }

  private guard<T> (work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw asDiskError(error, this.dir.path, this.written)
    }
  }
}

/** A partition's bytes read whole (its extents end to end). */
export function readPart (part: SpillPart): Buffer {
  const length = part.extents.reduce((sum, value, i) => i % 2 === 1 ? sum + value : sum, 0)
  const bytes = Buffer.allocUnsafe(length)
  const fd = openSync(part.path, 'r')
  try {
    let at = 0
    for (let e = 0; e < part.extents.length; e += 2) {
      const extent = part.extents[e + 1] as number
      if (readSliced(fd, bytes, at, extent, part.extents[e] as number) !== extent) throw truncatedSpillFile(part.path)
      at += extent
    }
  } finally {
    closeSync(fd)
  }
  return bytes
}

/**
 * Sequential reads of spill files in large chunks, one after another through the same
 * buffer: `open(path)` reads a whole file, `open(part)` a partition's extents end to end; then
 * `ensure(n)` makes n bytes readable at `pos` (a multiple of 4 whenever records are, so
 * `view` reads their words). A partition's extents must all be there: one that ends short
 * fails the read, since a lost record could be a reference.
 */
export class ChunkReader {
  buffer: Buffer
  view: Uint32Array
  pos = 0
  end = 0
  path = ''
  private fd: number | undefined
  private eof = false
  // Offset and length pairs to read, or undefined for the whole file.
  private extents: readonly number[] | undefined
  // The next extent, and how far into it the reads are; for a whole file, its offset.
  private extent = 0
  private offset = 0
  // Whether the file is this reader's to delete once read.
  private owned = false

  /** `buffer`: where to read, when the chunks must be in memory of the caller's (`chunkBytes` of it). */
  constructor (chunkBytes: number, buffer?: Buffer) {
    this.buffer = buffer ?? Buffer.allocUnsafeSlow(chunkBytes)
    this.view = wordsOf(this.buffer)
  }

  /** Reads into `buffer` from now on, which holds what the old one held (a memory that grew). */
  rebind (buffer: Buffer): void {
    this.buffer = buffer
    this.view = wordsOf(buffer)
  }

  open (source: string | SpillPart): this {
    this.close()
    const part = typeof source === 'string' ? undefined : source
    this.path = part?.path ?? source as string
    this.extents = part?.extents
    this.owned = part === undefined
    this.fd = openSync(this.path, 'r')
    this.pos = 0
    this.end = 0
    this.extent = 0
    this.offset = 0
    this.eof = false
    return this
  }

  /** Moves n bytes on, reading none of those past the buffer. */
  skip (n: number): void {
    const buffered = this.end - this.pos
    if (n <= buffered) {
      this.pos += n
      return
    }
    this.advance(n - buffered)
    this.pos = 0
    this.end = 0
  }

  /** False when the file ends before n more bytes. */
  ensure (n: number): boolean {
    if (this.end - this.pos >= n) return true
    if (this.eof) return false
    const rest = this.end - this.pos
    if (n > this.buffer.length) {
      const bigger = Buffer.allocUnsafeSlow(padded(Math.max(n, this.buffer.length * 2)))
      this.buffer.copy(bigger, 0, this.pos, this.end)
      this.buffer = bigger
      this.view = wordsOf(bigger)
    } else {
      this.buffer.copy(this.buffer, 0, this.pos, this.end)
    }
    this.pos = 0
    this.end = rest
    while (this.end < n && !this.eof) this.end += this.readMore()
    return this.end - this.pos >= n
  }

  /**
   * Closes the file and, when it was opened by path, deletes it: such a file is read once.
   * The deletion runs on libuv's threads (freeing a large file's pages took 2% of a 20M diff
   * on this one); one that fails leaves the file to the work directory's removal.
   */
  discard (): void {
    this.close()
    if (this.owned) unlink(this.path, () => {})
  }

  close (): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  /** Reads on into the buffer's free room; returns the bytes read (0 at the end). */
  private readMore (): number {
    const room = this.buffer.length - this.end
    const extents = this.extents
    if (extents === undefined) {
      const read = readSliced(this.fd as number, this.buffer, this.end, room, this.offset)
      if (read === 0) this.eof = true
      this.offset += read
      return read
    }
    if (this.extent >= extents.length) {
      this.eof = true
      return 0
    }
    const length = Math.min(room, (extents[this.extent + 1] as number) - this.offset)
    const read = readSliced(this.fd as number, this.buffer, this.end, length, (extents[this.extent] as number) + this.offset)
    if (read !== length) throw truncatedSpillFile(this.path)
    this.advance(read)
    return read
  }

  /** Moves the next read n bytes on. */
  private advance (n: number): void {
    const extents = this.extents
    if (extents === undefined) {
      this.offset += n
      return
    }
    this.offset += n
    while (this.extent < extents.length && this.offset >= (extents[this.extent + 1] as number)) {
      this.offset -= extents[this.extent + 1] as number
      this.extent += 2
    }
  }
}

function wordsOf (buffer: Buffer): Uint32Array {
  return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2)
}
