import type { ClassicLevel } from 'classic-level'
import { ChunkReader, PartitionWriter } from '../spill/partition-files.ts'
import { WorkDir } from '../spill/work-dir.ts'
import { sortDistinct } from './fingerprint-sort.ts'
import { addToRun, decodeRun, encodeRun, freshRun, removeFromRun, type RunChange } from './index-run.ts'
import { rangeKey, rangeOf } from './index-layout.ts'

export type IndexDb = ClassicLevel<Buffer, Buffer>

// What one fingerprint costs while pending: its 16 bytes and the sorted copy.
const BYTES_PER_PENDING = 32
// Share of the budget pending fingerprints may take: the Bloom filter being built and
// LevelDB's write buffers and mapped table files take the rest.
const PENDING_SHARE = 0.25
const FIRST_CAPACITY = 65536
// Partition files a source larger than memory is spread over, by the fingerprints' top bits.
const MAX_PARTITIONS = 256
const MIN_WRITE_BUFFER = 16 * 1024
const WRITE_BUFFERS = 4 * 1024 * 1024
const READ_CHUNK = 1024 * 1024
// Ranges read, changed and written per LevelDB round trip when the index holds references.
const RANGES_PER_READ = 256
// A write batch is cut at about this many value bytes. A memtable is written out whole as a
// table file however large one batch made it, so this also bounds the files of a build (and
// with them what LevelDB keeps mapped: reference-index.ts).
const BATCH_BYTES = 512 * 1024

export interface PendingOptions {
  /** The budget; pending fingerprints take a share of it. */
  memory: number
  /** The index's range bits: a partition holds whole ranges. */
  rangeBits: number
  /** Where partition files go. @default os.tmpdir() */
  tmpdir?: string
  /** The index held no run when this began, so a range's first write needs no read. */
  fresh: boolean
  signal?: AbortSignal
  /** Most fingerprints held in memory at once (for tests). @default a share of `memory` */
  capacity?: number
}

/** Writes sorted distinct fingerprints; `fresh`: none of their ranges has a run yet. */
export type FlushTo = (sorted: Uint32Array, fresh: boolean) => Promise<void>

/**
 * Fingerprints gathered for one source, then written as runs: sorted, de-duplicated and cut by
 * range. A source that fits its share of the budget is sorted in memory; a larger one goes to
 * partition files by the fingerprints' top bits (whole ranges each), which `flush` then sorts
 * and writes one at a time, so every range is read and written once and memory stays bounded.
 */
export class PendingFingerprints {
  private words = new Uint32Array(0)
  private sorted = new Uint32Array(0)
  private length = 0
  private readonly capacity: number
  private dir: WorkDir | undefined
  private partitions: PartitionWriter | undefined
  private shift = 32

  constructor (private readonly options: PendingOptions, private readonly flushTo: FlushTo) {
    this.capacity = options.capacity ?? Math.max(FIRST_CAPACITY, Math.floor(options.memory * PENDING_SHARE / BYTES_PER_PENDING))
  }

  /** The budget it was given. */
  get memory (): number {
    return this.options.memory
  }

  push (words: Uint32Array, n: number): void {
    if (this.partitions === undefined && this.length + n > this.capacity) this.spill()
    if (this.partitions !== undefined) {
      this.toPartitions(this.partitions, words, n)
      return
    }
    if (this.words.length < 4 * (this.length + n)) {
      const grown = new Uint32Array(4 * Math.min(this.capacity, Math.max(2 * this.words.length / 4, this.length + n)))
      grown.set(this.words.subarray(0, 4 * this.length))
      this.words = grown
    }
    this.words.set(words.subarray(0, 4 * n), 4 * this.length)
    this.length += n
  }

  /** Sorts and writes everything pushed, then removes the partition files. */
  async flush (): Promise<void> {
    const partitions = this.partitions
    if (partitions === undefined) {
      if (this.length > 0) await this.write(this.length, this.options.fresh)
      this.length = 0
      return
    }
    partitions.close()
    const reader = new ChunkReader(READ_CHUNK)
    for (let p = 0; p < partitions.partitions; p++) {
      this.options.signal?.throwIfAborted()
      reader.open(partitions.part(p))
      // A partition larger than the budget (far more references than the estimate) is written
      // in pieces; every piece after the first merges into the runs the one before wrote.
      let fresh = this.options.fresh
      while (reader.ensure(16)) {
        let n = 0
        while (n < this.capacity && reader.ensure(16)) {
          const take = Math.min(this.capacity - n, (reader.end - reader.pos) >>> 4)
          this.words.set(reader.view.subarray(reader.pos >>> 2, (reader.pos >>> 2) + 4 * take), 4 * n)
          reader.pos += 16 * take
          n += take
        }
        await this.write(n, fresh)
        fresh = false
      }
      reader.discard()
    }
    this.close()
  }

  /** Removes the partition files (after `flush`, or on failure). */
  close (): void {
    this.partitions?.release()
    this.partitions = undefined
    this.dir?.remove()
    this.dir = undefined
  }

  private async write (n: number, fresh: boolean): Promise<void> {
    if (this.sorted.length < 4 * n) this.sorted = new Uint32Array(this.words.length)
    await this.flushTo(sortDistinct(this.words, n, this.sorted), fresh)
  }

  private spill (): void {
    const count = Math.min(MAX_PARTITIONS, 2 ** this.options.rangeBits)
    this.shift = 32 - Math.log2(count)
    this.dir = new WorkDir(this.options.tmpdir)
    const partitions = new PartitionWriter(this.dir, 'pending', count, Math.max(MIN_WRITE_BUFFER, Math.floor(WRITE_BUFFERS / count)))
    this.partitions = partitions
    this.toPartitions(partitions, this.words, this.length)
    this.length = 0
    // The pending array becomes the buffer each partition is read back into.
    if (this.words.length < 4 * this.capacity) this.words = new Uint32Array(4 * this.capacity)
  }

  private toPartitions (partitions: PartitionWriter, words: Uint32Array, n: number): void {
    const shift = this.shift
    for (let i = 0; i < n; i++) {
      const p = (words[4 * i] as number) >>> shift
      partitions.reserve(p, 16)
      const view = partitions.views[p] as Uint32Array
      const at = (partitions.positions[p] as number) >>> 2
      view[at] = words[4 * i] as number
      view[at + 1] = words[4 * i + 1] as number
      view[at + 2] = words[4 * i + 2] as number
      view[at + 3] = words[4 * i + 3] as number
      partitions.positions[p] = 4 * at + 16
    }
  }
}

/**
 * Writes sorted distinct fingerprints into their ranges' runs, claimed (`add`) or released
 * (`remove`) by source `id`; returns how many references the index gained or lost. `empty`
 * says the index holds no run yet, so nothing needs reading first.
 */
export async function writeRuns (db: IndexDb, bits: number, sorted: Uint32Array, id: number, mode: 'add' | 'remove', empty: boolean): Promise<number> {
  const n = sorted.length / 4
  const ranges: number[] = []
  const bounds: number[] = [0]
  for (let i = 0; i < n;) {
    const range = rangeOf(sorted, i, bits)
    let j = i + 1
    while (j < n && rangeOf(sorted, j, bits) === range) j++
    ranges.push(range)
    bounds.push(j)
    i = j
  }
  const writer = new BatchWriter(db)
  let delta = 0
  if (empty) {
    if (mode === 'remove') return 0
    for (let r = 0; r < ranges.length; r++) {
      const run = freshRun(sorted, bounds[r] as number, bounds[r + 1] as number, id)
      delta += run.length
      await writer.put(rangeKey(ranges[r] as number), encodeRun(run))
    }
    await writer.end()
    return delta
  }
  for (let first = 0; first < ranges.length; first += RANGES_PER_READ) {
    const last = Math.min(ranges.length, first + RANGES_PER_READ)
    const keys = ranges.slice(first, last).map(rangeKey)
    const values = await db.getMany(keys)
    for (let r = first; r < last; r++) {
      const key = keys[r - first] as Buffer
      const value = values[r - first]
      const from = bounds[r] as number
      const to = bounds[r + 1] as number
      let change: RunChange
      if (value === undefined) {
        if (mode === 'remove') continue
        change = { run: freshRun(sorted, from, to, id), delta: to - from, changed: true }
      } else {
        const run = decodeRun(value)
        change = mode === 'add' ? addToRun(run, sorted, from, to, id) : removeFromRun(run, sorted, from, to, id)
      }
      if (!change.changed) continue
      delta += change.delta
      if (change.run === undefined) await writer.del(key)
      else await writer.put(key, encodeRun(change.run))
    }
  }
  await writer.end()
  return delta
}

/** LevelDB writes gathered into batches of about BATCH_BYTES. */
class BatchWriter {
  private ops: Array<{ type: 'put', key: Buffer, value: Buffer } | { type: 'del', key: Buffer }> = []
  private bytes = 0

  constructor (private readonly db: IndexDb) {}

  async put (key: Buffer, value: Buffer): Promise<void> {
    this.ops.push({ type: 'put', key, value })
    this.bytes += value.length
    if (this.bytes >= BATCH_BYTES) await this.end()
  }

  async del (key: Buffer): Promise<void> {
    this.ops.push({ type: 'del', key })
    if (this.ops.length >= RANGES_PER_READ) await this.end()
  }

  async end (): Promise<void> {
    if (this.ops.length === 0) return
    const ops = this.ops
    this.ops = []
    this.bytes = 0
    await this.db.batch(ops)
  }
}
