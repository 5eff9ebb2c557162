import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs'
import { asDiskError } from './disk-full-error.ts'
import type { WorkDir } from './work-dir.ts'

/**
 * Append-only files, one per partition, each behind its own buffer: records are encoded
 * straight into `buffers[p]` at `positions[p]` after `reserve(p, bytes)`.
 */
export class PartitionWriter {
  readonly buffers: Buffer[]
  readonly positions: Int32Array
  readonly records: Float64Array
  private readonly fds: number[]
  private readonly paths: string[]
  written = 0

  constructor (private readonly dir: WorkDir, prefix: string, readonly partitions: number, private readonly bufferBytes: number) {
    this.paths = Array.from({ length: partitions }, (_, p) => dir.file(`${prefix}-${p}`))
    this.fds = this.paths.map(path => this.guard(() => openSync(path, 'w')))
    this.buffers = Array.from({ length: partitions }, () => Buffer.allocUnsafe(bufferBytes))
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
        buffer = Buffer.allocUnsafe(Math.max(bytes, this.bufferBytes))
        this.buffers[p] = buffer
      }
    }
    return buffer
  }

  flush (p: number): void {
    const length = this.positions[p] as number
    if (length === 0) return
    const buffer = this.buffers[p] as Buffer
    let done = 0
    this.guard(() => {
      while (done < length) done += writeSync(this.fds[p] as number, buffer, done, length - done)
    })
    this.written += length
    this.positions[p] = 0
  }

  /** Flushes and closes every file; the files stay for reading. */
  close (): void {
    for (let p = 0; p < this.partitions; p++) this.flush(p)
    this.release()
  }

  /** Closes the files without flushing (on failure). */
  release (): void {
    for (const fd of this.fds.splice(0)) closeSync(fd)
    this.buffers.length = 0
  }

  private guard<T> (work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw asDiskError(error, this.dir.path, this.written)
    }
  }
}

/** Sequential reads of a spill file in large chunks; `ensure(n)` makes n bytes readable at `pos`. */
export class ChunkReader {
  buffer: Buffer
  pos = 0
  end = 0
  private fd: number | undefined
  private eof = false

  constructor (readonly path: string, chunkBytes: number) {
    this.buffer = Buffer.allocUnsafe(chunkBytes)
    this.fd = openSync(path, 'r')
  }

  /** False when the file ends before n more bytes. */
  ensure (n: number): boolean {
    if (this.end - this.pos >= n) return true
    if (this.eof) return false
    const rest = this.end - this.pos
    if (n > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(n, this.buffer.length * 2))
      this.buffer.copy(bigger, 0, this.pos, this.end)
      this.buffer = bigger
    } else {
      this.buffer.copy(this.buffer, 0, this.pos, this.end)
    }
    this.pos = 0
    this.end = rest
    while (this.end < n && !this.eof) {
      const read = readSync(this.fd as number, this.buffer, this.end, this.buffer.length - this.end, null)
      if (read === 0) this.eof = true
      this.end += read
    }
    return this.end - this.pos >= n
  }

  /** Closes and deletes the file: a partition is read once. */
  discard (): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
    unlinkSync(this.path)
  }
}
