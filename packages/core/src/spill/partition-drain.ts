import { KeydiffError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { DiffPart, MissingWanted } from '../engine/diff-types.ts'
import { formatBytes } from '../util/size.ts'
import { ChunkReader, readPart, type SpillPart } from './partition-files.ts'
import { DrainTable } from './drain-table.ts'
import { EMITTED, FingerprintTable, MATCHED, REFERENCE } from './fingerprint-table.ts'
import { truncatedSpillFile } from './disk-full-error.ts'
import type { OrphanLog } from './orphan-marks.ts'
import { CANDIDATE_BYTES, FINGERPRINT_BYTES, candidateOrdinal, readKey } from './records.ts'

const OUTPUT_BATCH = 4096
// Records whose home slots are touched ahead of their lookups (see FingerprintTable.touch).
const TOUCH_AHEAD = 256
// Room kept for the orphans a partition's candidates add to its table, as a share of its references.
const ORPHAN_ROOM = 0.25
// Slots for orphans and empty ones a WebAssembly table is sized for, as a share of its
// references, when its budget allows: a third full of references, a lookup meets fewer slots
// before its key or an empty one than at two thirds (78k references and 87k candidates a
// partition: 8.8 and 16.1 ns a record against 12.6 and 20.0).
const SPARSE_ROOM = 2.5

export interface PartitionFiles {
  references: SpillPart
  referenceCount: number
  /** The references' keys, in the same order (when missing keys are wanted). */
  referenceKeys: SpillPart | undefined
  candidates: SpillPart | undefined
  /** The bytes the partition's table (and its keys) may take. */
  budget: number
  index: number
}

/**
 * Settles partitions one after another in one table and one read buffer: a partition's
 * references (and the orphans reported before it spilled) go into the table, then its
 * candidates stream past it. A candidate that no reference matches and that was not
 * reported before is an orphan, logged by its ordinal (its key is read back at the end, see
 * keys-file.ts); references no candidate matched are the missing keys, yielded here when
 * their keys are wanted, or only counted (`missingCounted`). Without missing keys the table and its
 * loops are in WebAssembly (DrainTable: 20M random keys a side: the loads and probes took
 * 0.66 s of CPU on two threads, 1.50 s in this JS table).
 */
export class PartitionDrain {
  private readonly table: FingerprintTable
  private readonly reader: ChunkReader
  private readonly drainTable: DrainTable | undefined
  // Kept so that the touching loads are not optimised away.
  touched = 0
  /** The references no candidate matched, in the partitions drained so far (when only counted). */
  missingCounted = 0

  constructor (readChunk: number, private readonly missing?: MissingWanted) {
    this.table = new FingerprintTable(0, missing === 'keys')
    this.drainTable = missing === 'keys' ? undefined : new DrainTable(readChunk)
    this.reader = new ChunkReader(readChunk, this.drainTable?.readBuffer())
  }

  * drain (files: PartitionFiles, orphans: OrphanLog): Generator<DiffPart> {
    if (this.drainTable !== undefined) {
      this.drainInWasm(this.drainTable, files, orphans)
      return
    }
    const table = this.table
    const keys = files.referenceKeys === undefined ? undefined : readPart(files.referenceKeys)
    table.reset(Math.ceil(files.referenceCount * (1 + ORPHAN_ROOM)))
    const guard = (): void => {
      if ((keys?.length ?? 0) + table.byteLength + table.grownByteLength > files.budget) throw overBudget(files, table.size)
    }
    const loaded = this.loadReferences(files.references, keys, guard)
    // Every reference must be in the table: one lost would make its candidates orphans.
    if (loaded !== files.referenceCount) throw truncatedSpillFile(files.references.path)
    orphans.partition()
    if (files.candidates !== undefined) this.probeCandidates(files.candidates, orphans, guard)
    if (this.missing === 'keys' && keys !== undefined) yield * missingOf(table, keys)
  }

  /** Puts the partition's references into the table; returns how many records were read. */
  private loadReferences (part: SpillPart, keys: Buffer | undefined, guard: () => void): number {
    const table = this.table
    const reader = this.reader.open(part)
    let keyAt = 0
    let loaded = 0
    try {
      while (reader.ensure(FINGERPRINT_BYTES)) {
        const view = reader.view
        const first = reader.pos >>> 2
        const records = Math.min(TOUCH_AHEAD, (reader.end - reader.pos) >>> 4)
        this.touched ^= table.touch(view, first, 4, records)
        for (let w = first; w < first + 4 * records; w += 4) {
          const a = view[w] as number
          const b = view[w + 1] as number
          const c = view[w + 2] as number
          const d = view[w + 3] as number
          const payload = keyAt
          if (keys !== undefined) keyAt += 4 + keys.readUInt32LE(keyAt)
          let slot = table.find(a, b, c, d)
          if (slot < 0) {
            if (table.full) {
              guard()
              slot = table.insert(a, b, c, d, d & 3, payload)
            } else {
              table.fill(-1 - slot, a, b, c, d, d & 3, payload)
            }
          } else if ((d & 3) === MATCHED) {
            table.setState(slot, MATCHED)
          }
        }
        reader.pos += 16 * records
        loaded += records
      }
      if (reader.end > reader.pos) throw truncatedSpillFile(part.path)
    } finally {
      reader.discard()
    }
    return loaded
  }

  private drainInWasm (table: DrainTable, files: PartitionFiles, orphans: OrphanLog): void {
    const reader = this.reader
    table.reset(drainTableSize(files.referenceCount, files.budget))
    reader.rebind(table.readBuffer())
    // Called when the table is full: it doubles, within its share of the budget.
    const grow = (): void => {
      if (table.byteLength + table.grownByteLength > files.budget) throw overBudget(files, table.size)
      table.grow()
      reader.rebind(table.readBuffer())
    }
    let loaded = 0
    reader.open(files.references)
    try {
      while (reader.ensure(FINGERPRINT_BYTES)) {
        // The read buffer is at the start of the table's memory: a record's place in it is its address there.
        for (let n = (reader.end - reader.pos) >>> 4; n > 0;) {
          if (table.room === 0) grow()
          const m = Math.min(n, table.room)
          table.load(reader.pos, m)
          reader.pos += FINGERPRINT_BYTES * m
          loaded += m
          n -= m
        }
      }
      if (reader.end > reader.pos) throw truncatedSpillFile(files.references.path)
    } finally {
      reader.discard()
    }
    // Every reference must be in the table: one lost would make its candidates orphans.
    if (loaded !== files.referenceCount) throw truncatedSpillFile(files.references.path)
    orphans.partition()
    if (files.candidates !== undefined) {
      const log = (ordinals: Uint8Array): void => { orphans.addRecords(ordinals) }
      reader.open(files.candidates)
      try {
        while (reader.ensure(CANDIDATE_BYTES)) {
          for (let n = Math.floor((reader.end - reader.pos) / CANDIDATE_BYTES); n > 0;) {
            if (table.room === 0) grow()
            const done = table.probe(reader.pos, n, log)
            reader.pos += CANDIDATE_BYTES * done
            n -= done
          }
        }
        if (reader.end > reader.pos) throw truncatedSpillFile(files.candidates.path)
      } finally {
        reader.discard()
      }
    }
    if (this.missing === 'count') this.missingCounted += table.unmatched()
  }

  private probeCandidates (part: SpillPart, orphans: OrphanLog, guard: () => void): void {
    const table = this.table
    const reader = this.reader.open(part)
    const stride = CANDIDATE_BYTES >>> 2
    try {
      while (reader.ensure(CANDIDATE_BYTES)) {
        const view = reader.view
        const first = reader.pos >>> 2
        const records = Math.min(TOUCH_AHEAD, Math.floor((reader.end - reader.pos) / CANDIDATE_BYTES))
        this.touched ^= table.touch(view, first, stride, records)
        for (let w = first; w < first + stride * records; w += stride) {
          const a = view[w] as number
          const b = view[w + 1] as number
          const c = view[w + 2] as number
          const d = view[w + 3] as number
          const slot = table.find(a, b, c, d)
          if (slot >= 0) {
            if (table.state(slot) === REFERENCE) table.setState(slot, MATCHED)
            continue
          }
          if (table.full) {
            guard()
            table.insert(a, b, c, d, EMITTED, 0)
          } else {
            table.fill(-1 - slot, a, b, c, d, EMITTED, 0)
          }
          orphans.add(candidateOrdinal(view, w))
        }
        reader.pos += CANDIDATE_BYTES * records
      }
      if (reader.end > reader.pos) throw truncatedSpillFile(part.path)
    } finally {
      reader.discard()
    }
  }
}

/**
 * The fingerprints a partition's WebAssembly table is sized for: sparse (SPARSE_ROOM) when
 * that takes at most a third of its budget, so that it may still double (the old and the new
 * table at once), else its references and room for orphans.
 */
export function drainTableSize (references: number, budget: number): number {
  const sparse = Math.ceil(references * SPARSE_ROOM)
  return 3 * DrainTable.bytesFor(sparse) <= budget ? sparse : Math.ceil(references * (1 + ORPHAN_ROOM))
}

function overBudget (files: PartitionFiles, keys: number): KeydiffError {
  return new KeydiffError(`spill partition ${files.index} needs more than its ${formatBytes(files.budget)} share of the memory budget (${keys} keys); raise memory or partitions`, 'KEYDIFF_MEMORY_EXCEEDED')
}

/** The references of a table that no candidate matched; payloads point at their keys in `keys`. */
export function * missingOf (table: FingerprintTable, keys: Buffer): Generator<DiffPart> {
  let out: KeyEntry[] = []
  for (let slot = 0; slot < table.capacity; slot++) {
    if (table.state(slot) !== REFERENCE) continue
    out.push({ key: readKey(keys, table.payloads[slot] as number) })
    if (out.length >= OUTPUT_BATCH) {
      yield { kind: 'missing', entries: out }
      out = []
    }
  }
  if (out.length > 0) yield { kind: 'missing', entries: out }
}
