import { KeydiffError } from '../errors.ts'
import type { MissingWanted } from '../engine/diff-types.ts'
import { formatBytes } from '../util/size.ts'
import { ChunkReader, type SpillPart } from './partition-files.ts'
import { DrainTable } from './drain-table.ts'
import { truncatedSpillFile } from './disk-full-error.ts'
import type { OrphanLog } from './orphan-marks.ts'
import { CANDIDATE_BYTES, FINGERPRINT_BYTES } from './records.ts'

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
  /** The references' records are numbered (24 bytes: an ordinal after the fingerprint), as when their missing keys are wanted. */
  numbered: boolean
  candidates: SpillPart | undefined
  /** The bytes the partition's table may take. */
  budget: number
  index: number
}

/**
 * Settles partitions one after another in one table and one read buffer, both in
 * WebAssembly (DrainTable: 20M random keys a side: the loads and probes took 0.66 s of CPU on
 * two threads, 1.50 s in the JS FingerprintTable): a partition's references (and the orphans
 * reported before it spilled) go into the table, then its candidates stream past it. A
 * candidate that no reference matches and that was not reported before is an orphan, logged
 * by its ordinal (its key is read back at the end, see keys-file.ts). References no
 * candidate matched are the missing ones: counted (`missingCounted`), or, their keys wanted,
 * logged by their records' ordinals as the orphans are (the references' records read again
 * once the candidates have passed), so that their keys too are read back at the end, on
 * every drain thread.
 */
export class PartitionDrain {
  private readonly reader: ChunkReader
  private readonly table: DrainTable
  /** The references no candidate matched, in the partitions drained so far (when only counted). */
  missingCounted = 0

  constructor (readChunk: number, private readonly missing?: MissingWanted) {
    this.table = new DrainTable(readChunk)
    this.reader = new ChunkReader(readChunk, this.table.readBuffer())
  }

  /** Drains a partition: its orphans' ordinals to `orphans`, its missing references' to `missingLog` (wanted with their keys, the references numbered). */
  drain (files: PartitionFiles, orphans: OrphanLog, missingLog?: OrphanLog): void {
    if (this.missing === 'keys' && (missingLog === undefined || !files.numbered)) throw new RangeError('missing keys are logged from numbered references to a log of their own')
    const table = this.table
    const reader = this.reader
    const recordBytes = files.numbered ? CANDIDATE_BYTES : FINGERPRINT_BYTES
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
      while (reader.ensure(recordBytes)) {
        // The read buffer is at the start of the table's memory: a record's place in it is its address there.
        for (let n = Math.floor((reader.end - reader.pos) / recordBytes); n > 0;) {
          if (table.room === 0) grow()
          const m = Math.min(n, table.room)
          table.load(reader.pos, m, recordBytes)
          reader.pos += recordBytes * m
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
    if (this.missing === 'keys') this.logMissing(files, missingLog as OrphanLog)
  }

  /** Reads the partition's numbered references again and logs the ordinals of those still unmatched, in their order. */
  private logMissing (files: PartitionFiles, missingLog: OrphanLog): void {
    const table = this.table
    const reader = this.reader
    const log = (ordinals: Uint8Array): void => { missingLog.addRecords(ordinals) }
    missingLog.partition()
    reader.open(files.references)
    try {
      while (reader.ensure(CANDIDATE_BYTES)) {
        const n = Math.floor((reader.end - reader.pos) / CANDIDATE_BYTES)
        table.missing(reader.pos, n, log)
        reader.pos += CANDIDATE_BYTES * n
      }
      if (reader.end > reader.pos) throw truncatedSpillFile(files.references.path)
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
