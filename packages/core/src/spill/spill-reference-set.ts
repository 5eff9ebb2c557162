import { unlink } from 'node:fs'
import { availableParallelism } from 'node:os'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { DiffPart, MissingWanted } from '../engine/diff-types.ts'
import type { ReferenceSetFactory, ReferenceSetInit } from '../contracts/reference-set.ts'
import { DrainThread, PartitionClaims } from './drain-thread.ts'
import { Fingerprinter } from './fingerprint.ts'
import { EMITTED, EMPTY, FingerprintTable, MATCHED, REFERENCE } from './fingerprint-table.ts'
import { EntryBatch, type HashedBatch, type HashedReferenceSet } from './hashed-batch.ts'
import { KeyArena } from './key-arena.ts'
import { KeysFileWriter, readOrphans } from './keys-file.ts'
import { OrphanLog, OrphanMarks, type OrphanSegment } from './orphan-marks.ts'
import { PartitionDrain, type PartitionFiles } from './partition-drain.ts'
import { ChunkReader, PartitionWriter } from './partition-files.ts'
import { CANDIDATE_BYTES, FINGERPRINT_BYTES, readKey, writeCandidate, writeOrdinal, writeReference } from './records.ts'
import { readOrphanLines, type CandidateFiles } from './orphan-lines.ts'
import { mergedOrphanLines, OrphanLinesThread } from './orphan-lines-thread.ts'
import { addOrdinals, recordWords, type RecordRoute, type RoutedRecords } from './routed-records.ts'
import { WorkDir } from './work-dir.ts'

export interface SpillReferenceSetOptions {
  /** Directory under which the work directory (`keydiff-spill-*`) is made. @default os.tmpdir() */
  tmpdir?: string
  /** Number of partitions (a power of two) once spilling. @default sized from the budget and the estimated count */
  partitions?: number
  /** Most fingerprints held in memory before spilling, on top of the budget's limit; 0 spills from the start (for tests). @default unlimited */
  maxInMemory?: number
  /** Spilled candidates whose orphan marks are held at a time when their keys are read back (for tests). @default sized from the budget */
  orphanWindow?: number
  /**
   * Threads that drain the partitions, each with its share of the budget, claiming partitions
   * from one shared counter: each puts another core to work on the join.
   * @default the diff's `threads` when the spill is large (a million references expected) and the thread's entry `drain-worker.js` is beside core's `index.js`, else 1
   */
  drainThreads?: number
  /**
   * Read the orphans' keys back from the candidates' files on other threads, which read and
   * split the files while this one hands the orphans' keys on (OrphanLinesThread); only when
   * the candidates' keys are read back from their files (plain files, spilled from the start).
   * The missing references' keys likewise from the references' files.
   * @default when the diff's `threads` is more than 1, a million candidates were spilled and the thread's entry `orphan-lines-worker.js` is beside core's `index.js`
   */
  readBackThread?: boolean
  /**
   * Threads that read the orphans' keys back when they are read on threads, each every n-th
   * block of the candidates' files, merged into their order (mergedOrphanLines): possible when
   * the first read's threads shared the files' blocks and noted their lines (CandidateFiles.blocks).
   * @default the diff's `threads`, at most 8, when the blocks were noted, else 1
   */
  readBackThreads?: number
}

const MIN_PARTITIONS = 16
// A partition's table is sized to stay in the CPU's cache where the partition count allows:
// a drain's lookups into a 31 MB table (16 partitions at 20M keys) were 2-3x slower.
const CACHED_TABLE_BYTES = 2 * 1024 * 1024
// Slot bytes a reference takes in a drain's table (16 a slot, 4/5 full, room for orphans).
// A table sized sparse (partition-drain.ts) takes twice that: 4 MiB at 256 partitions of
// 20M keys, past a 2 MiB L2 cache, and still quicker than dense (see there).
const SLOT_COST = 25
// Past this, more partitions cost more in small writes than smaller tables save (20M keys at
// 128MiB: 16 partitions 11.8-12.1 s, 256 9.8-10.0 s; with fixed-width candidate records, 256
// 3.9-4.3 s, 512 4.1-4.2 s, 1024 4.5-4.6 s).
const MAX_CACHED_PARTITIONS = 256
// Keys whose slots are touched ahead of their lookups (see FingerprintTable.touch).
const TOUCH_AHEAD = 256
const MIN_WRITE_BUFFER = 16 * 1024
// The partitions' write buffers take an eighth of the budget, up to this (64 KiB a partition
// at 256). Twice as much bought no speed at 256MiB or 2GiB (20M random keys, interleaved:
// medians 2.64 against 2.62 s in 8 rounds, 3.01 against 2.75 in 10) and cost 14 MiB of peak.
const MAX_WRITE_BUDGET = 16 * 1024 * 1024
// Share of the budget (after the write buffers) the table and its keys may take: the sources'
// batches and strings churn the JS heap beside it.
const TABLE_SHARE = 0.7
// Bytes one reference may cost in a partition's table: a slot is 16 bytes, the table at most
// 4/5 full, with room for orphans, and doubling when that is not enough.
const ENTRY_COST = 3 * FINGERPRINT_BYTES
// Share of the budget the orphan marks take at the end (see OrphanMarks), leaving the rest to
// the drain's tables.
const MARKS_SHARE = 0.25
// Bytes a drain reads at a time.
const READ_CHUNK = 4 * 1024 * 1024
// What a key kept in memory costs beyond its slot (its length-prefixed bytes and the payload).
const KEY_COST = 64
// The sequential writers' buffers: the candidates' and references' keys, the drain's orphan
// and missing ordinals.
const KEYS_BUFFER = 1024 * 1024
// Keys of a spilled table go to the keys file this many at a time.
const KEYS_BATCH = 4096
// Missing keys of an in-memory table are yielded this many at a time.
const OUTPUT_BATCH = 4096
const ORPHANS_BUFFER = 256 * 1024
// Below this many expected references a second drain thread's start-up (a V8 isolate, tens
// of milliseconds) costs more than the half of the drain it takes over.
const PARALLEL_MIN_REFERENCES = 1_000_000
// From this many references on they are partitioned whatever the budget, so that more memory
// is never slower: one table of them all is far out of the CPU's caches (a miss a key) and
// settled on one thread, while partitions are settled in cache-sized tables on every drain
// thread (20M keys, random order: 10.6–13.9 s in one table at 2GiB, 8.7–9.4 s partitioned at
// 256MiB). Below it a table of them all is a few tens of megabytes and one thread is quicker.
const PARTITIONED_MIN_REFERENCES = PARALLEL_MIN_REFERENCES
// Below this many spilled candidates, reading their files back is too short to pay for a
// thread's start (an isolate and its modules).
const READ_BACK_THREAD_MIN_CANDIDATES = 1_000_000
// Chunks of orphans' keys (one a megabyte of candidates) a read-back thread may send ahead of their decoding.
const READ_BACK_AHEAD = 4
// Past this many, threads reading the candidates back would mostly wait for the disk and for
// the one thread that hands their parts on.
const MAX_READ_BACK_THREADS = 8
// The fewest ordinals a window of orphan marks holds: fewer would read the logs in slivers.
const MIN_ORPHAN_WINDOW = 64 * 1024
// Each drain thread holds a partition's table and a read buffer at a time; past this many the
// budget's share of each is too small to be worth it.
const MAX_DRAIN_THREADS = 64

/**
 * The default exact confirmation: 128-bit fingerprints of the references in an in-memory
 * hash table while they fit the budget and are fewer than a million; beyond that, the table
 * and everything after it go to partitions (by the fingerprint's top bits) in a work
 * directory (all the references' partitions in one file, the candidates' in another), and `drain` settles the partitions one at a time on each drain thread, the way
 * DuckDB spills a hash join (files the page cache holds while memory allows). A spilled candidate is a
 * fingerprint and an ordinal in its partition, its key written once to a keys file in input
 * order (or not at all, read back from the candidates' own files); the drain marks orphans by
 * ordinal and reads their keys back at the end, so they come out in input order. When the
 * missing keys are wanted the references are numbered the same way, and the missing ones come
 * after the orphans, in the references' order. Orphans and missing keys are reported once each
 * even when keys repeat. The work directory is removed by `close`, on process
 * exit and on SIGINT/SIGTERM.
 */
export function spillReferenceSet (options: SpillReferenceSetOptions = {}): ReferenceSetFactory {
  if (options.partitions !== undefined && !(Number.isInteger(options.partitions) && options.partitions >= 1 && (options.partitions & (options.partitions - 1)) === 0)) {
    throw new TypeError('spillReferenceSet: partitions must be a power of two')
  }
  if (options.drainThreads !== undefined && !(Number.isInteger(options.drainThreads) && options.drainThreads >= 1 && options.drainThreads <= MAX_DRAIN_THREADS)) {
    throw new TypeError(`spillReferenceSet: drainThreads must be a whole number from 1 to ${MAX_DRAIN_THREADS}`)
  }
  if (options.readBackThreads !== undefined && !(Number.isInteger(options.readBackThreads) && options.readBackThreads >= 1 && options.readBackThreads <= MAX_READ_BACK_THREADS)) {
    throw new TypeError(`spillReferenceSet: readBackThreads must be a whole number from 1 to ${MAX_READ_BACK_THREADS}`)
  }
  return Object.assign((init: ReferenceSetInit) => new SpillReferenceSet(init, options), { usesFilter: false })
}

class SpillReferenceSet implements HashedReferenceSet {
  private readonly fingerprinter = new Fingerprinter()
  private table: FingerprintTable | undefined
  private arena: KeyArena | undefined
  private readonly writeBudget: number
  private readonly tableBudget: number
  private dir: WorkDir | undefined
  private references: PartitionWriter | undefined
  // The numbered references' keys (missing keys wanted, once spilled).
  private referenceKeys: KeysFileWriter | undefined
  private candidates: PartitionWriter | undefined
  private candidateKeys: KeysFileWriter | undefined
  private orphans: OrphanLog | undefined
  private missingLog: OrphanLog | undefined
  private helpers: DrainThread[] = []
  private readBack: OrphanLinesThread[] = []
  private helperWritten = 0
  private threads = 1
  private shift = 32
  private sealed = false
  private candidateFiles: CandidateFiles | undefined
  // The candidates' keys are read back from their files (every candidate was spilled, in order).
  private keyless = false
  // The references' files the missing keys are read back from (every reference was spilled, in order).
  private referenceFiles: CandidateFiles | undefined
  // Kept so that the touching loads are not optimised away.
  private touched = 0
  // Missing keys kept to be yielded, or only counted where the drain finds them (ReferenceSetInit.missingKeys).
  private readonly missing: MissingWanted
  private missingCounted = 0

  constructor (private readonly init: ReferenceSetInit, private readonly options: SpillReferenceSetOptions) {
    this.missing = !init.trackMissing ? undefined : init.missingKeys === false ? 'count' : 'keys'
    const keys = this.missing === 'keys'
    this.writeBudget = Math.min(MAX_WRITE_BUDGET, Math.max(MIN_WRITE_BUFFER * MIN_PARTITIONS, Math.floor(init.memory / 8)))
    this.tableBudget = Math.max(1024 * 1024, Math.floor((init.memory - this.writeBudget) * TABLE_SHARE))
    if (keys) this.arena = new KeyArena()
    this.table = new FingerprintTable(0, keys)
    // Sized once from the estimate (references and a share of orphans) when that fits, so
    // the table does not double; a count that cannot fit, or that is partitioned whatever the
    // budget, goes to partitions from the start.
    const expected = Math.ceil((init.estimatedCount ?? 0) * 1.15)
    if (options.maxInMemory === 0) {
      this.spill()
    } else if (expected > 0) {
      const bytes = FingerprintTable.bytesFor(FingerprintTable.capacityFor(expected), keys) + (keys ? expected * KEY_COST : 0)
      if (bytes > this.tableBudget || (init.estimatedCount ?? 0) >= PARTITIONED_MIN_REFERENCES) this.spill()
      else this.table = new FingerprintTable(expected, keys)
    }
  }

  /** The missing references counted (missingKeys false), once drained. */
  get missingCount (): number | undefined {
    return this.missing === 'count' ? this.missingCounted : undefined
  }

  /** Bytes spilled so far. */
  get spilledBytes (): number {
    return (this.references?.written ?? 0) + (this.referenceKeys?.written ?? 0) + (this.candidates?.written ?? 0) + (this.candidateKeys?.written ?? 0) + (this.orphans?.written ?? 0) + (this.missingLog?.written ?? 0) + this.helperWritten
  }

  add (batch: KeyBatch): void {
    this.addHashed(new EntryBatch(batch, this.fingerprinter))
  }

  addHashed (batch: HashedBatch): void {
    const routed = batch.routed
    if (this.table === undefined && routed !== undefined && routed.route.shift === this.shift) {
      const keys = this.referenceKeys
      if (keys === undefined && routed.route.record === 'reference') {
        this.appendRouted(this.references as PartitionWriter, routed)
        return
      }
      if (keys !== undefined && routed.route.record === 'numbered-reference') {
        // A record's ordinal is its place in the batch; the batch's first key is the spill's next.
        addOrdinals(routed.words, keys.count)
        if (this.referenceFiles !== undefined) keys.skip(batch.length)
        else batch.spillKeys(0, keys)
        this.appendRouted(this.references as PartitionWriter, routed)
        return
      }
    }
    const words = batch.words
    for (let i = 0; i < batch.length; i++) {
      const table = this.table
      if (i % TOUCH_AHEAD === 0) this.touched ^= table?.touch(words, 4 * i, 4, Math.min(batch.length - i, TOUCH_AHEAD)) ?? 0
      if (table === undefined) {
        this.spillReferences(batch, i)
        break
      }
      const at = 4 * i
      const a = words[at] as number
      const b = words[at + 1] as number
      const c = words[at + 2] as number
      const d = words[at + 3] as number
      const slot = table.find(a, b, c, d)
      if (slot >= 0) continue
      if (table.full || this.options.maxInMemory !== undefined) {
        if (this.outgrown(table)) {
          this.spill()
          i--
          continue
        }
        table.insert(a, b, c, d, REFERENCE, this.arena === undefined ? 0 : this.arena.append(batch, i))
      } else {
        table.fill(-1 - slot, a, b, c, d, REFERENCE, this.arena === undefined ? 0 : this.arena.append(batch, i))
      }
    }
  }

  prefault (): void {
    this.table?.prefault()
  }

  routes (): { references: RecordRoute | undefined, candidates: RecordRoute | undefined } {
    // Only a set that spilled from the start takes whole partitions' runs of records; with the
    // missing keys wanted, the references' records are numbered, their keys read back as the
    // candidates' are.
    if (this.table !== undefined) return { references: undefined, candidates: undefined }
    return {
      references: this.referenceKeys === undefined ? { shift: this.shift, record: 'reference', recordsOnly: 'always' } : { shift: this.shift, record: 'numbered-reference', recordsOnly: 'read-back' },
      // Keyless (seal) exactly when the candidates' files are read back: their keys then stay unsent.
      candidates: { shift: this.shift, record: 'candidate', recordsOnly: 'read-back' }
    }
  }

  seal (): void {
    this.sealed = true
    if (this.references === undefined) return
    // Spilled before any candidate: every one is spilled with its place in the files as its ordinal.
    this.keyless = this.candidateFiles !== undefined
    this.startCandidates()
  }

  readsOrphansFrom (candidates: CandidateFiles): void {
    if (candidates.identities.every(identity => identity !== undefined)) this.candidateFiles = candidates
  }

  readsMissingFrom (references: CandidateFiles): void {
    // Only while every reference to come is numbered by its place in the files: spilled from the start, none added yet.
    if (this.referenceKeys?.count === 0 && references.identities.every(identity => identity !== undefined)) this.referenceFiles = references
  }

  probe (batch: KeyBatch): KeyBatch {
    return this.probeHashed(new EntryBatch(batch, this.fingerprinter))
  }

  probeHashed (batch: HashedBatch): KeyEntry[] {
    const routed = batch.routed
    if (this.table === undefined && this.candidateKeys !== undefined && routed?.route.record === 'candidate' && routed.route.shift === this.shift) {
      // A record's ordinal is its place in the batch; the batch's first key is the spill's next.
      addOrdinals(routed.words, this.candidateKeys.count)
      if (this.keyless) this.candidateKeys.skip(batch.length)
      else batch.spillKeys(0, this.candidateKeys)
      this.appendRouted(this.candidates as PartitionWriter, routed)
      return []
    }
    const words = batch.words
    const orphans: KeyEntry[] = []
    for (let i = 0; i < batch.length; i++) {
      const table = this.table
      if (i % TOUCH_AHEAD === 0) this.touched ^= table?.touch(words, 4 * i, 4, Math.min(batch.length - i, TOUCH_AHEAD)) ?? 0
      if (table === undefined) {
        this.spillCandidates(batch, i)
        break
      }
      const at = 4 * i
      const a = words[at] as number
      const b = words[at + 1] as number
      const c = words[at + 2] as number
      const d = words[at + 3] as number
      const slot = table.find(a, b, c, d)
      if (slot >= 0) {
        if (table.state(slot) === REFERENCE) table.setState(slot, MATCHED)
      } else if (table.full || this.options.maxInMemory !== undefined) {
        if (this.outgrown(table)) {
          this.spill()
          i--
          continue
        }
        table.insert(a, b, c, d, EMITTED, 0)
        orphans.push(batch.entry(i))
      } else {
        table.fill(-1 - slot, a, b, c, d, EMITTED, 0)
        orphans.push(batch.entry(i))
      }
    }
    return orphans
  }

  async * drain (): AsyncGenerator<DiffPart> {
    if (this.table !== undefined) {
      if (this.missing === 'keys' && this.arena !== undefined) yield * missingOf(this.table, this.arena.buffer)
      if (this.missing === 'count') this.missingCounted = this.table.count(REFERENCE)
      return
    }
    const references = this.references as PartitionWriter
    const candidates = this.candidates as PartitionWriter
    const keys = this.candidateKeys as KeysFileWriter
    const dir = this.dir as WorkDir
    candidates.close()
    keys.close()
    const window = this.windowFor(keys.count)
    const tableBudget = Math.floor((this.tableBudget - Math.ceil(window / 8)) / this.threads)
    const referenceKeys = this.referenceKeys
    const partitions = Array.from({ length: references.partitions }, (_, p): PartitionFiles => ({
      references: references.part(p),
      referenceCount: references.records[p] as number,
      numbered: referenceKeys !== undefined,
      candidates: candidates.part(p),
      budget: tableBudget,
      index: p
    }))
    const claims = new PartitionClaims(partitions.length)
    // Started now, so that their start-up overlaps the drain.
    if (this.keyless && this.readsBackOnThread(keys.count)) this.startReadBack(this.candidateFiles as CandidateFiles, 'orphans', keys.count, dir)
    for (let k = 1; k < this.threads; k++) {
      this.helpers.push(new DrainThread({ dir: dir.path, log: `orphans-helper-${k}`, logBuffer: ORPHANS_BUFFER, readChunk: READ_CHUNK, partitions, missing: this.missing }, claims))
    }
    const drain = new PartitionDrain(READ_CHUNK, this.missing)
    const orphans = this.orphans = new OrphanLog(dir, 'orphans', ORPHANS_BUFFER)
    const missingLog = this.missingLog = referenceKeys === undefined ? undefined : new OrphanLog(dir, 'missing', ORPHANS_BUFFER)
    try {
      for (let p = claims.next(); p >= 0; p = claims.next()) {
        this.init.signal?.throwIfAborted()
        drain.drain(partitions[p] as PartitionFiles, orphans, missingLog)
      }
      const segments = orphans.close()
      const missingSegments = missingLog?.close() ?? []
      let missing = drain.missingCounted
      for (const helper of this.helpers) {
        const helped = await helper.finished
        segments.push(...helped.segments)
        missingSegments.push(...helped.missingSegments)
        this.helperWritten += helped.written
        missing += helped.missing
      }
      this.missingCounted = missing
      // Every partition is read: the files go now, their pages freed on libuv's threads while the
      // orphans are read back, not by the work directory's removal at the end (0.1 s at 20M).
      for (const writer of [references, candidates]) unlink(writer.path, () => {})
      yield * this.readKeysBack('orphans', this.keyless ? this.candidateFiles : undefined, keys, segments, dir)
      if (referenceKeys !== undefined && missingSegments.length > 0) {
        // The orphans' threads are done; the missing keys' start now, when they pay.
        this.stopReadBack()
        if (this.referenceFiles !== undefined && this.readsBackOnThread(referenceKeys.count)) this.startReadBack(this.referenceFiles, 'missing', referenceKeys.count, dir)
        yield * this.readKeysBack('missing', this.referenceFiles, referenceKeys, missingSegments, dir)
      }
    } finally {
      for (const helper of this.helpers.splice(0)) helper.stop()
      this.stopReadBack()
    }
  }

  close (): void {
    for (const helper of this.helpers.splice(0)) helper.stop()
    this.stopReadBack()
    this.table = undefined
    this.arena = undefined
    this.references?.release()
    this.referenceKeys?.release()
    this.candidates?.release()
    this.candidateKeys?.release()
    this.orphans?.release()
    this.missingLog?.release()
    this.dir?.remove()
  }

  /**
   * The keys logged in `segments` (orphans' or missing references'), read back by their
   * ordinals: on the read-back threads when they were started, else here, from `files` (the
   * keys' own files) or the keys file. Nothing logged, nothing is read again.
   */
  private async * readKeysBack (kind: DiffPart['kind'], files: CandidateFiles | undefined, keys: KeysFileWriter, segments: OrphanSegment[], dir: WorkDir): AsyncGenerator<DiffPart> {
    if (segments.length === 0) return
    if (this.readBack.length > 0) {
      yield * mergedOrphanLines(this.readBack, segments)
      return
    }
    const marks = new OrphanMarks(segments, this.windowFor(keys.count), dir)
    yield * (files !== undefined ? readOrphanLines(files, marks, keys.count, kind) : readOrphans(new ChunkReader(READ_CHUNK), keys.path, marks, kind))
  }

  /** The ordinals a window of marks holds when `count` keys were numbered: the budget's share for marks, in bits. */
  private windowFor (count: number): number {
    return Math.min(count, this.options.orphanWindow ?? Math.max(MIN_ORPHAN_WINDOW, Math.floor(this.tableBudget * MARKS_SHARE * 8)))
  }

  private readsBackOnThread (candidates: number): boolean {
    const asked = this.options.readBackThread
    if (asked !== undefined) return asked
    return (this.init.threads ?? availableParallelism()) > 1 && candidates >= READ_BACK_THREAD_MIN_CANDIDATES && OrphanLinesThread.shipped
  }

  // Each thread reads every n-th block of the files and keeps its own window of the marks,
  // the window's bits split between them.
  private startReadBack (candidates: CandidateFiles, kind: DiffPart['kind'], count: number, dir: WorkDir): void {
    const window = this.windowFor(count)
    const noted = candidates.blocks?.lines.reduce((sum, lines) => sum + lines, 0) === count
    const asked = this.options.readBackThreads ?? Math.min(MAX_READ_BACK_THREADS, this.init.threads ?? availableParallelism())
    const threads = noted ? asked : 1
    const share = Math.ceil(window / threads)
    for (let index = 0; index < threads; index++) {
      this.readBack.push(new OrphanLinesThread({ candidates, count, window: share, dir: dir.path, ahead: READ_BACK_AHEAD, reuse: this.init.transientParts === true, share: { index, count: threads }, kind }))
    }
  }

  private stopReadBack (): void {
    for (const thread of this.readBack.splice(0)) thread.stop()
  }

  private outgrown (table: FingerprintTable): boolean {
    const max = this.options.maxInMemory
    if (max !== undefined && table.size >= max) return true
    if (table.full && table.size >= PARTITIONED_MIN_REFERENCES) return true
    // While growing, the old and the new table are both alive.
    return table.full && table.byteLength + table.grownByteLength + (this.arena?.byteLength ?? 0) > this.tableBudget
  }

  /** Moves the in-memory table to the partitions' file; from here on everything goes to disk. */
  private spill (): void {
    const table = this.table as FingerprintTable
    this.threads = this.threadsFor(table.size)
    const partitions = this.options.partitions ?? this.partitionsFor(table.size)
    this.dir = new WorkDir(this.options.tmpdir)
    this.shift = 32 - Math.log2(partitions)
    const bufferBytes = Math.max(MIN_WRITE_BUFFER, Math.floor(this.writeBudget / partitions))
    this.references = new PartitionWriter(this.dir, 'references', partitions, bufferBytes)
    const keys = this.missing === 'keys' ? this.referenceKeys = new KeysFileWriter(this.dir, KEYS_BUFFER, 'reference-keys') : undefined
    const { payloads, words } = table
    const arena = this.arena
    // With keys, each slot's goes to the keys file in its record's order, a batch at a time;
    // an orphan reported before the spill keeps its ordinal with an empty key.
    let entries: KeyEntry[] = []
    for (let slot = 0; slot < table.capacity; slot++) {
      const state = table.state(slot)
      if (state === EMPTY) continue
      this.spillReference(words, slot, state, keys === undefined ? undefined : keys.count + entries.length)
      if (keys === undefined) continue
      entries.push({ key: arena !== undefined && state !== EMITTED ? arena.read(payloads[slot] as number) : '' })
      if (entries.length === KEYS_BATCH) {
        keys.entries(entries, 0)
        entries = []
      }
    }
    if (keys !== undefined && entries.length > 0) keys.entries(entries, 0)
    this.table = undefined
    this.arena = undefined
    if (this.sealed) this.startCandidates()
  }

  private threadsFor (inMemory: number): number {
    if (this.options.drainThreads !== undefined) return this.options.drainThreads
    const expected = this.expectedCount(inMemory)
    // Every drain thread holds a partition's table at once: no more threads than keep their
    // tables in the budget at the most partitions the write buffers allow.
    const fitting = Math.floor(this.mostPartitions() * this.tableBudget * (1 - MARKS_SHARE) / (expected * ENTRY_COST))
    const threads = Math.max(1, Math.min(MAX_DRAIN_THREADS, this.init.threads ?? availableParallelism(), fitting))
    return threads > 1 && expected >= PARALLEL_MIN_REFERENCES && DrainThread.shipped ? threads : 1
  }

  private mostPartitions (): number {
    return Math.max(MIN_PARTITIONS, 2 ** Math.floor(Math.log2(this.writeBudget / MIN_WRITE_BUFFER)))
  }

  private expectedCount (inMemory: number): number {
    // Unknown totals are guessed at 4× what outgrew memory; orphans add entries at drain.
    return Math.max(this.init.estimatedCount ?? 0, inMemory * 4) * 1.5
  }

  private partitionsFor (inMemory: number): number {
    const expected = this.expectedCount(inMemory)
    // Each drain thread has its table at the same time.
    const fits = Math.ceil(expected * ENTRY_COST * this.threads / (this.tableBudget * (1 - MARKS_SHARE)))
    const cached = Math.min(MAX_CACHED_PARTITIONS, Math.ceil(expected * SLOT_COST / CACHED_TABLE_BYTES))
    const most = this.mostPartitions()
    let partitions = MIN_PARTITIONS
    while (partitions < Math.max(fits, cached) && partitions < most) partitions *= 2
    return partitions
  }

  private startCandidates (): void {
    const references = this.references as PartitionWriter
    const buffers = references.close()
    this.referenceKeys?.close()
    const bufferBytes = Math.max(MIN_WRITE_BUFFER, Math.floor(this.writeBudget / references.partitions))
    this.candidates = new PartitionWriter(this.dir as WorkDir, 'candidates', references.partitions, bufferBytes, buffers)
    this.candidateKeys = new KeysFileWriter(this.dir as WorkDir, KEYS_BUFFER)
  }

  private partitionOf (high: number): number {
    return this.shift === 32 ? 0 : high >>> this.shift
  }

  /** Writes reference i of `words` with its state, numbered `ordinal` when the references are. */
  private spillReference (words: Uint32Array, i: number, state: number, ordinal: number | undefined): void {
    const writer = this.references as PartitionWriter
    const p = this.partitionOf(words[4 * i] as number)
    const bytes = ordinal === undefined ? FINGERPRINT_BYTES : CANDIDATE_BYTES
    writer.reserve(p, bytes)
    const view = writer.views[p] as Uint32Array
    const at = writer.positions[p] as number
    writeReference(view, at, words, i, state)
    if (ordinal !== undefined) writeOrdinal(view, (at >>> 2) + 4, ordinal)
    writer.positions[p] = at + bytes
    writer.records[p] = (writer.records[p] as number) + 1
  }

  /** Spills references `from`, `from + 1`, ... of the batch, numbered (their keys to the keys file) when missing keys are wanted. */
  private spillReferences (batch: HashedBatch, from: number): void {
    const keys = this.referenceKeys
    const first = keys?.count ?? 0
    for (let i = from; i < batch.length; i++) this.spillReference(batch.words, i, REFERENCE, keys === undefined ? undefined : first + i - from)
    if (keys === undefined) return
    if (this.referenceFiles !== undefined) keys.skip(batch.length - from)
    else batch.spillKeys(from, keys)
  }

  /** Appends a batch's records, laid out by partition (routed-records.ts), a run per partition. */
  private appendRouted (writer: PartitionWriter, routed: RoutedRecords): void {
    const { starts, words } = routed
    const bytes = new Uint8Array(words.buffer, words.byteOffset, words.byteLength)
    const recordBytes = 4 * recordWords(routed.route)
    for (let p = 0; p < writer.partitions; p++) {
      const from = starts[p] as number
      const to = starts[p + 1] as number
      if (to === from) continue
      writer.append(p, bytes.subarray(recordBytes * from, recordBytes * to))
      writer.records[p] = (writer.records[p] as number) + to - from
    }
  }

  /** Spills candidates `from`, `from + 1`, ... of the batch: their keys to the keys file, their fingerprints to the partitions. */
  private spillCandidates (batch: HashedBatch, from: number): void {
    const keys = this.candidateKeys as KeysFileWriter
    let ordinal = keys.count
    if (this.keyless) keys.skip(batch.length - from)
    else batch.spillKeys(from, keys)
    const writer = this.candidates as PartitionWriter
    const { views, positions, records } = writer
    const words = batch.words
    for (let i = from; i < batch.length; i++) {
      const p = this.partitionOf(words[4 * i] as number)
      writer.reserve(p, CANDIDATE_BYTES)
      writeCandidate(views[p] as Uint32Array, positions[p] as number, words, i, ordinal++)
      positions[p] = (positions[p] as number) + CANDIDATE_BYTES
      records[p] = (records[p] as number) + 1
    }
  }
}

/** The references of a table that no candidate matched; payloads point at their keys in `keys`. */
function * missingOf (table: FingerprintTable, keys: Buffer): Generator<DiffPart> {
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
