import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { ReferenceSet } from '../contracts/reference-set.ts'
import { Fingerprinter } from './fingerprint.ts'
import type { KeysFileWriter } from './keys-file.ts'
import { keyBound, writeKey } from './records.ts'
import type { RecordRoute, RoutedRecords } from './routed-records.ts'
import type { CandidateFiles } from './orphan-lines.ts'

/**
 * A batch whose keys are fingerprinted already (4 words per key in `words`). A key becomes a
 * string or an entry only when it is asked for: a key that arrived as bytes is hashed,
 * matched and spilled as bytes, and only an orphan is ever decoded.
 */
export interface HashedBatch {
  readonly length: number
  readonly words: Uint32Array
  entry: (i: number) => KeyEntry
  /** Most bytes `writeKey(i)` writes. */
  keyBound: (i: number) => number
  /** Writes key i as a u32 length and its UTF-8 bytes at `at`; returns the position after it. */
  writeKey: (i: number, buffer: Buffer, at: number) => number
  /** Appends keys `from`, `from + 1`, ... (and what else an entry has) to a spill's keys file. */
  spillKeys: (from: number, keys: KeysFileWriter) => void
  /** The batch's spill records, laid out by partition where they were hashed (see `routes`). */
  readonly routed?: RoutedRecords | undefined
}

/** A reference set that takes fingerprinted batches, so the engine can hash keys from bytes. */
export interface HashedReferenceSet extends ReferenceSet {
  addHashed: (batch: HashedBatch) => void
  /** Like `probe`, for a set that uses no filter. */
  probeHashed: (batch: HashedBatch) => KeyEntry[]
  /**
   * Faults in the memory the set has sized for the references now, in one pass, rather than
   * a page at a time in the inserts: called while another thread starts to read them.
   */
  prefault?: () => void
  /**
   * How the batches to come should lay out their spill records for the set to copy them by
   * partition (HashedBatch.routed): for the references and for the candidates, each undefined
   * when the set routes those keys itself. Asked once the set is made, before any is added.
   */
  routes?: () => { references: RecordRoute | undefined, candidates: RecordRoute | undefined }
  /**
   * The candidates to come are these files' lines, in order: a set that spills may read its
   * orphans' keys back from them rather than keep every candidate's. Told before the
   * references are added.
   */
  readsOrphansFrom?: (candidates: CandidateFiles) => void
  /**
   * The references to come are these files' lines, in order: a set that spills may read the
   * missing references' keys back from them rather than keep every reference's. Told before
   * the references are added.
   */
  readsMissingFrom?: (references: CandidateFiles) => void
}

export function isHashedReferenceSet (set: ReferenceSet): set is HashedReferenceSet {
  return typeof (set as Partial<HashedReferenceSet>).addHashed === 'function'
}

/** A batch of entries (string keys) with their fingerprints. */
export class EntryBatch implements HashedBatch {
  readonly length: number
  readonly words: Uint32Array

  constructor (readonly entries: KeyBatch, fingerprinter: Fingerprinter) {
    this.length = entries.length
    this.words = fingerprinter.fingerprint(entries)
  }

  entry (i: number): KeyEntry {
    return this.entries[i] as KeyEntry
  }

  keyBound (i: number): number {
    return keyBound((this.entries[i] as KeyEntry).key)
  }

  writeKey (i: number, buffer: Buffer, at: number): number {
    return writeKey(buffer, at, (this.entries[i] as KeyEntry).key)
  }

  spillKeys (from: number, keys: KeysFileWriter): void {
    keys.entries(this.entries, from)
  }
}

/** Bare fingerprints (a kept index's references): no keys, so usable only where none are kept. */
export class FingerprintBatch implements HashedBatch {
  constructor (readonly words: Uint32Array, readonly length: number) {}

  entry (): KeyEntry {
    throw new Error('a fingerprint batch has no keys')
  }

  keyBound (): number {
    return this.entry().key.length
  }

  writeKey (): number {
    return this.keyBound()
  }

  spillKeys (): void {
    this.keyBound()
  }
}

/**
 * A batch's spill records alone, its lines and fingerprints left on the thread that read them
 * (RecordRoute.recordsOnly): only a set that copies the records as they are may take it, and
 * any other use fails rather than read keys that are not there.
 */
export class RecordsBatch implements HashedBatch {
  constructor (readonly length: number, readonly routed: RoutedRecords) {}

  get words (): Uint32Array {
    throw keyless()
  }

  entry (): KeyEntry {
    throw keyless()
  }

  keyBound (): number {
    throw keyless()
  }

  writeKey (): number {
    throw keyless()
  }

  spillKeys (): void {
    throw keyless()
  }
}

function keyless (): Error {
  return new Error('a batch of spill records alone has no keys or fingerprints: its set asked for records only')
}
