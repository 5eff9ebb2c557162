import { closeSync, openSync, readSync } from 'node:fs'
import { asDiskError, truncatedSpillFile } from './disk-full-error.ts'
import { PartitionWriter } from './partition-files.ts'
import { readOrdinal, writeOrdinal } from './records.ts'
import type { SpillDir } from './work-dir.ts'

const RECORD_BYTES = 8
const READ_BYTES = 64 * 1024

/** A run of one partition's orphan ordinals, increasing, at bytes [start, end) of a log file. */
export interface OrphanSegment {
  path: string
  start: number
  end: number
}

/**
 * The ordinals of the orphans a drain finds, partition after partition, in one file: a
 * partition's are increasing (its candidates are in their order), and `partition()` notes
 * where each partition's start. A drain thread keeps its own log; their segments are read
 * together (OrphanMarks).
 */
export class OrphanLog {
  private readonly writer: PartitionWriter
  private readonly starts: number[] = []

  constructor (dir: SpillDir, name: string, bufferBytes: number) {
    this.writer = new PartitionWriter(dir, name, 1, bufferBytes)
  }

  /** Starts the next partition's ordinals. */
  partition (): void {
    this.starts.push(this.offset)
  }

  add (ordinal: number): void {
    const writer = this.writer
    writer.reserve(0, RECORD_BYTES)
    writeOrdinal(writer.views[0] as Uint32Array, (writer.positions[0] as number) >>> 2, ordinal)
    writer.positions[0] = (writer.positions[0] as number) + RECORD_BYTES
  }

  /** Adds ordinals already written as log records (8 bytes each, records.ts `writeOrdinal`). */
  addRecords (records: Uint8Array): void {
    this.writer.append(0, records)
  }

  get written (): number {
    return this.writer.written
  }

  /** Closes the file, which stays for reading, and returns its partitions' segments. */
  close (): OrphanSegment[] {
    const ends = [...this.starts.slice(1), this.offset]
    this.writer.close()
    const path = this.writer.path
    return this.starts.map((start, i) => ({ path, start, end: ends[i] as number })).filter(segment => segment.end > segment.start)
  }

  /** Closes the file without flushing (on failure). */
  release (): void {
    this.writer.release()
  }

  private get offset (): number {
    return this.writer.written + (this.writer.positions[0] as number)
  }
}

/**
 * Which spilled candidates are orphans, as a bitmap over a window of ordinals: the window
 * moves forward as `next` is asked for later ordinals, taking each segment's ordinals below
 * its end from the logs. Memory is the window's bits and one read buffer, whatever the count.
 */
export class OrphanMarks {
  private readonly bits: Uint32Array
  private readonly cursors: number[]
  private readonly read = Buffer.allocUnsafeSlow(READ_BYTES)
  private readonly words = new Uint32Array(this.read.buffer, this.read.byteOffset, READ_BYTES >>> 2)
  private low = 0
  private high = 0
  // Orphans in the log not yet in a window.
  private left: number
  // The least of them, once a window has been filled: the next window starts there at the
  // latest, so that a gap between orphans (a run of candidates all referenced, ordinals far
  // apart) costs one window's reads, not one a window's width.
  private ahead = 0

  constructor (private readonly segments: readonly OrphanSegment[], window: number, private readonly dir: SpillDir) {
    this.cursors = segments.map(segment => segment.start)
    this.left = segments.reduce((sum, segment) => sum + (segment.end - segment.start) / RECORD_BYTES, 0)
    this.bits = new Uint32Array(Math.max(1, Math.ceil(window / 32)))
  }

  /**
   * The first orphan's ordinal at or after `from`, or -1 when there is none; `from` never goes
   * back. Orphans below a `from` that skipped them are never returned.
   */
  next (from: number): number {
    for (;;) {
      if (from < this.high) {
        const found = this.scan(from)
        if (found >= 0) return found
      }
      if (this.left === 0) return -1
      this.load(Math.max(from, this.high, this.ahead))
      from = this.low
    }
  }

  private scan (from: number): number {
    const bits = this.bits
    let i = from - this.low
    const end = this.high - this.low
    while (i < end) {
      const word = bits[i >>> 5] as number
      const rest = word >>> (i & 31)
      if (rest !== 0) return this.low + i + (31 - Math.clz32(rest & -rest))
      i = (i | 31) + 1
    }
    return -1
  }

  /** Fills the window from `low` on with the logged ordinals below its end. */
  private load (low: number): void {
    this.bits.fill(0)
    this.low = low
    this.high = low + this.bits.length * 32
    this.ahead = Infinity
    const fds = new Map<string, number>()
    try {
      this.segments.forEach((segment, s) => {
        let fd = fds.get(segment.path)
        if (fd === undefined) fds.set(segment.path, fd = this.open(segment.path))
        this.cursors[s] = this.take(fd, segment.path, this.cursors[s] as number, segment.end)
      })
    } finally {
      for (const fd of fds.values()) closeSync(fd)
    }
  }

  /** Marks the ordinals below the window's end from `at` to `end` of the log; returns where it stopped. */
  private take (fd: number, path: string, at: number, end: number): number {
    const words = this.words
    while (at < end) {
      const bytes = this.readAt(fd, path, at, Math.min(READ_BYTES, end - at))
      for (let w = 0; w < bytes >>> 2; w += 2) {
        const ordinal = readOrdinal(words, w)
        if (ordinal >= this.high) {
          this.ahead = Math.min(this.ahead, ordinal)
          return at
        }
        // One below the window was passed over: `next` was asked from after it (a reader of a
        // share of the candidates' blocks asks only within its own).
        const bit = ordinal - this.low
        if (bit >= 0) this.bits[bit >>> 5] = (this.bits[bit >>> 5] as number) | (1 << (bit & 31))
        this.left--
        at += RECORD_BYTES
      }
    }
    return at
  }

  private readAt (fd: number, path: string, at: number, length: number): number {
    let done = 0
    while (done < length) {
      const read = this.guard(() => readSync(fd, this.read, done, length - done, at + done))
      if (read === 0) throw truncatedSpillFile(path)
      done += read
    }
    return done
  }

  private open (path: string): number {
    return this.guard(() => openSync(path, 'r'))
  }

  private guard<T> (work: () => T): T {
    try {
      return work()
    } catch (error) {
      throw asDiskError(error, this.dir.path, 0)
    }
  }
}
