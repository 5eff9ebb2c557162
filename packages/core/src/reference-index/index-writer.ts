import type { ClassicLevel } from 'classic-level'
import { sortDistinct } from './fingerprint-sort.ts'
import { addToRun, decodeRun, encodeRun, freshRun, removeFromRun, type RunChange } from './index-run.ts'
import { rangeKey, rangeOf } from './index-layout.ts'

export type IndexDb = ClassicLevel<Buffer, Buffer>

// What one fingerprint costs while pending: its 16 bytes, the sorted copy (both kept for the
// next pass), and slack for the sort's buckets and the runs being read and written.
const BYTES_PER_PENDING = 40
const FIRST_CAPACITY = 65536
// Ranges read, changed and written per LevelDB round trip when the index holds references.
const RANGES_PER_READ = 256
// A write batch is cut at about this many value bytes.
const BATCH_BYTES = 8 * 1024 * 1024

/**
 * Fingerprints gathered in memory for one source, then written as runs: sorted, de-duplicated
 * and cut by range, each range's run read, merged and written once per flush. Memory is
 * bounded by the budget; a source larger than it is flushed several times.
 */
export class PendingFingerprints {
  private words = new Uint32Array(4 * FIRST_CAPACITY)
  private sorted = new Uint32Array(0)
  private length = 0
  private readonly capacity: number

  constructor (memory: number, private readonly flushTo: (sorted: Uint32Array) => Promise<void>) {
    this.capacity = Math.max(FIRST_CAPACITY, Math.floor(memory / BYTES_PER_PENDING))
  }

  async push (words: Uint32Array, n: number): Promise<void> {
    for (let from = 0; from < n;) {
      if (this.length === this.capacity) await this.flush()
      const take = Math.min(n - from, this.capacity - this.length)
      if (this.words.length < 4 * (this.length + take)) {
        const grown = new Uint32Array(4 * Math.min(this.capacity, Math.max(2 * this.words.length / 4, this.length + take)))
        grown.set(this.words.subarray(0, 4 * this.length))
        this.words = grown
      }
      this.words.set(words.subarray(4 * from, 4 * (from + take)), 4 * this.length)
      this.length += take
      from += take
    }
  }

  async flush (): Promise<void> {
    if (this.length === 0) return
    if (this.sorted.length < 4 * this.length) this.sorted = new Uint32Array(this.words.length)
    const sorted = sortDistinct(this.words, this.length, this.sorted)
    this.length = 0
    await this.flushTo(sorted)
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
