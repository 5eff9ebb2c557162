import { closeSync, openSync, unlink } from 'node:fs'
import { readSliced, writeSliced } from '../util/sliced-io.ts'
import { asDiskError } from './disk-full-error.ts'
import { padded } from './records.ts'
import type { SpillDir } from './work-dir.ts'

/**
 * Append-only files, one per partition, each behind its own buffer: records are encoded
 * straight into `buffers[p]` (or its words, `views[p]`) at `positions[p]` after
 * `reserve(p, bytes)`. Buffers start at offset 0 of their memory, so views are aligned.
 */
export class PartitionWriter {
  readonly buffers: Buffer[]
  readonly views: Uint32Array[]
  readonly positions: Int32Array
  readonly records: Float64Array
  private readonly fds: number[]
  private readonly paths: string[]
  written = 0

  /** `reuse`: buffers of a writer closed before, taken over rather than allocated anew. */
  constructor (private readonly dir: SpillDir, prefix: string, readonly partitions: number, private bufferBytes: number, reuse: Buffer[] = []) {
    bufferBytes = this.bufferBytes = padded(bufferBytes)
    this.paths = Array.from({ length: partitions }, (_, p) => dir.file(`${prefix}-${p}`))
    this.fds = this.paths.map(path => this.guard(() => openSync(path, 'w')))
    this.buffers = Array.from({ length: partitions }, (_, p) => reuse[p] !== undefined && (reuse[p] as Buffer).length >= bufferBytes ? reuse[p] as Buffer : Buffer.allocUnsafeSlow(bufferBytes))
    this.views = this.buffers.map(wordsOf)
    this.positions = new Int32Array(partitions)
    this.records = new Float64Array(partitions)
  }

  path (p: number): string {
    return this.paths[p] as string
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

  /** Flushes and closes every file; the files stay for reading. Returns the buffers, for reuse. */
  close (): Buffer[] {
    for (let p = 0; p < this.partitions; p++) this.flush(p)
    const buffers = this.buffers.slice()
    this.release()
    return buffers
  }

  /** Closes the files without flushing (on failure). */
  release (): void {
    for (const fd of this.fds.splice(0)) closeSync(fd)
    this.buffers.length = 0
    this.views.length = 0
  }

  private write (p: number, bytes: Uint8Array, length: number): void {
    this.guard(() => { writeSliced(this.fds[p] as number, bytes, 0, length) })
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

/**
 * Sequential reads of spill files in large chunks, one file after another through the same
 * buffer: `open(path)`, then `ensure(n)` makes n bytes readable at `pos` (a multiple of 4
 * whenever records are, so `view` reads their words).
 */
export class ChunkReader {
  buffer: Buffer
  view: Uint32Array
  pos = 0
  end = 0
  path = ''
  private fd: number | undefined
  private eof = false
  // The file offset of buffer[end].
  private offset = 0

  constructor (chunkBytes: number) {
    this.buffer = Buffer.allocUnsafeSlow(chunkBytes)
    this.view = wordsOf(this.buffer)
  }

  open (path: string): this {
    this.close()
    this.path = path
    this.fd = openSync(path, 'r')
    this.pos = 0
    this.end = 0
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
    this.offset += n - buffered
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
    while (this.end < n && !this.eof) {
      const read = readSliced(this.fd as number, this.buffer, this.end, this.buffer.length - this.end, this.offset)
      if (read === 0) this.eof = true
      this.end += read
      this.offset += read
    }
    return this.end - this.pos >= n
  }

  /**
   * Closes and deletes the file: a partition is read once. The deletion runs on libuv's
   * threads (freeing a large file's pages took 2% of a 20M diff on this one); one that
   * fails leaves the file to the work directory's removal.
   */
  discard (): void {
    this.close()
    unlink(this.path, () => {})
  }

  close (): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }
}

function wordsOf (buffer: Buffer): Uint32Array {
  return new Uint32Array(buffer.buffer, buffer.byteOffset, buffer.length >>> 2)
}
