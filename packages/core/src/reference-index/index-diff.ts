import type { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { AbortError, InvalidOptionError, asSourceError } from '../errors.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import type { DiffPart, DiffRun, DiffStats } from '../engine/diff-types.ts'
import { LineHasher } from '../engine/line-batch.ts'
import { lineBatchOf, lineReaders, readingThreads, type LineRead } from '../engine/line-readers.ts'
import { countPart } from '../engine/packed-lines-part.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import { FingerprintBatch, isHashedReferenceSet, type HashedReferenceSet } from '../spill/hashed-batch.ts'
import { spillReferenceSet } from '../spill/spill-reference-set.ts'
import { parseSize } from '../util/size.ts'
import type { ReferenceIndex } from './reference-index.ts'
import { defaultThreads } from '../engine/default-threads.ts'

/**
 * `scan`: read every fingerprint of the index once, in order, into the exact reference set
 * (in memory, spilling past the budget) and stream the candidates past it.
 * `lookup`: the index's Bloom filter settles most orphans, the rest are looked up in LevelDB.
 */
export type IndexDiffStrategy = 'scan' | 'lookup'

export interface IndexDiffOptions {
  /** The keys that exist (an object listing). */
  candidates: KeySourceLike
  /** An open reference index. */
  index: ReferenceIndex
  /** Memory budget for the scanned references or the orphans' de-duplication. @default '256MiB' */
  memory?: number | string
  /** Where the reference set spills. @default os.tmpdir() */
  tmpdir?: string
  /** @default 'lookup' when the candidates' estimated count is under a quarter of the index and its filter takes at most half the budget, else 'scan' */
  strategy?: IndexDiffStrategy
  /**
   * Threads that read, split and fingerprint a scan's candidates when they are files of
   * lines, and settle its spill, as a diff's (DiffOptions.threads). @default as a diff's: the machine's cores, at most two and one for each 80 MiB of `memory`
   */
  threads?: number
  /** Read a scan's candidates files on other threads, or here (DiffOptions.readThread). @default when they hold a million lines and the machine has two cores or more */
  readThread?: boolean
  /** The consumer is done with each part before it asks for the next (DiffOptions.transientParts). @default false */
  transientParts?: boolean
  signal?: AbortSignal
}

// Candidates the filter accepts are looked up this many at a time: enough that the ranges'
// runs read for them are shared by several candidates each.
const LOOKUP_RUN = 65536
// `once` keeps no filter: every orphan is probed.
const NO_FILTER = new Uint8Array(0)
// Below this share of the index, looking candidates up costs less than reading it all.
const LOOKUP_SHARE = 0.25
// Most of the budget a lookup's filter may take: the orphans' de-duplication needs the rest.
const FILTER_SHARE = 0.5

/**
 * The orphans of a candidate source against a kept reference index, each reported once.
 * Missing keys need a one-shot diff.
 */
export function diffIndex (options: IndexDiffOptions): DiffRun {
  const candidates = toKeySource(options.candidates, 'candidates')
  const memory = parseSize(options.memory ?? '256MiB', 'memory')
  if (memory < 1024 * 1024) throw new InvalidOptionError('memory', `${memory} bytes is below the 1 MiB minimum`)
  const threads = options.threads ?? defaultThreads(memory)
  const index = options.index
  const estimate = candidates.estimatedCount
  const strategy = options.strategy ?? (estimate !== undefined && estimate < index.meta.count * LOOKUP_SHARE && index.filterBytes() <= memory * FILTER_SHARE ? 'lookup' : 'scan')
  if (strategy !== 'scan' && strategy !== 'lookup') throw new InvalidOptionError('strategy', `${JSON.stringify(strategy)} is not 'scan' or 'lookup'`)
  const stats: DiffStats = {
    mode: 'exact',
    strategy: 'hash',
    phase: 'pending',
    candidates: { count: 0, bytes: 0, source: candidates.name },
    references: { count: index.meta.count, source: `index:${index.directory}` },
    orphans: { count: 0, bytes: 0 },
    missing: undefined,
    filter: undefined,
    memoryBudget: memory,
    referenceScanStartedAt: index.scanStartedAt,
    startedAt: undefined,
    durationMs: undefined
  }
  const signal = options.signal

  const run = async function * (): AsyncGenerator<DiffPart> {
    const started = performance.now()
    stats.startedAt = new Date().toISOString()
    // A scan reads every reference; only lookups consult the filter.
    const filter = strategy === 'lookup' ? await index.filter() : undefined
    if (filter !== undefined) stats.filter = { blocks: filter.blocks, bytes: filter.byteLength, bitsPerKey: index.meta.count === 0 ? 0 : filter.byteLength * 8 / index.meta.count, estimatedFalsePositiveRate: filter.estimatedFalsePositiveRate() }
    // The set keeps to what the filter and LevelDB's resident tables and cache leave.
    const setMemory = Math.max(1024 * 1024, memory - (filter?.byteLength ?? 0) - index.residentBytes)
    const set = await spillReferenceSet({ tmpdir: options.tmpdir })({ memory: setMemory, trackMissing: false, estimatedCount: strategy === 'scan' ? index.meta.count : undefined, threads, transientParts: options.transientParts, signal })
    if (!isHashedReferenceSet(set)) throw new TypeError('the spill reference set takes fingerprints')
    // A scan's candidates files are read on threads, which start now: their start-up overlaps
    // the index's read, and the spill reads their orphans back from the files.
    const readers = strategy === 'scan' ? lineReaders([candidates], options.readThread, 4, [set.routes?.().candidates], readingThreads(threads)) : undefined
    try {
      const files = readers?.files[0]
      if (files !== undefined) set.readsOrphansFrom?.(files)
      if (strategy === 'scan') {
        stats.phase = 'references'
        for await (const { words, length } of index.fingerprints(signal)) set.addHashed(new FingerprintBatch(words, length))
      }
      set.seal()
      stats.phase = 'candidates'
      try {
        yield * filter === undefined ? scanCandidates(candidates, readers?.readers[0], set, stats, signal) : lookupCandidates(candidates, index, filter, set, stats, signal)
      } catch (error) {
        throw asSourceError(candidates.name, error)
      }
      // Every line is read: the threads' memory goes before the drain's threads take theirs.
      readers?.stop()
      stats.phase = 'finishing'
      for await (const part of set.drain()) {
        // Orphans read back from the candidates' files are counted without decoding their keys.
        countPart(stats.orphans, part)
        yield part
      }
      if (set.spilledBytes !== undefined) stats.spilledBytes = set.spilledBytes
      stats.phase = 'done'
    } catch (error) {
      stats.phase = 'failed'
      if (signal?.aborted === true) throw new AbortError('the diff was aborted', { cause: signal.reason })
      throw error
    } finally {
      readers?.stop()
      set.close()
      stats.durationMs = performance.now() - started
    }
  }

  let iterated = false
  return {
    stats,
    [Symbol.asyncIterator] () {
      if (iterated) throw new TypeError('a diff run can be iterated once')
      iterated = true
      return run()
    }
  }
}

/**
 * Candidates probed against the scanned references; a file's lines are hashed as bytes, by
 * the reading threads (`lines`, from lineReaders) or here.
 */
async function * scanCandidates (candidates: KeySource, lines: (() => AsyncIterable<LineRead>) | undefined, set: HashedReferenceSet, stats: DiffStats, signal: AbortSignal | undefined): AsyncGenerator<DiffPart> {
  if (lines !== undefined) {
    const hasher = new LineHasher()
    for await (const read of lines()) {
      signal?.throwIfAborted()
      const batch = lineBatchOf(read, hasher)
      stats.candidates.count += batch.length
      const orphans = set.probeHashed(batch)
      if (orphans.length > 0) yield counted(stats, orphans)
    }
    return
  }
  for await (const batch of candidates) {
    signal?.throwIfAborted()
    tally(stats, batch)
    const orphans = await set.probe(batch, NO_FILTER)
    if (orphans.length > 0) yield counted(stats, orphans)
  }
}

/**
 * Candidates the index's filter accepts are gathered into runs of LOOKUP_RUN and looked up in
 * LevelDB, each range's run read once per lookup; orphans de-duplicated by `once`.
 */
async function * lookupCandidates (candidates: KeySource, index: ReferenceIndex, filter: SplitBlockBloomFilter, once: HashedReferenceSet, stats: DiffStats, signal: AbortSignal | undefined): AsyncGenerator<DiffPart> {
  const fingerprinter = new Fingerprinter()
  let words = new Uint32Array(LOOKUP_RUN * 4)
  let found = new Uint8Array(LOOKUP_RUN)
  let maybes: KeyEntry[] = []
  const settle = async (): Promise<KeyEntry[]> => {
    const n = maybes.length
    if (found.length < n) found = new Uint8Array(n)
    await index.lookup(words, n, found)
    const orphans = maybes.filter((_, i) => found[i] === 0)
    maybes = []
    return orphans
  }
  const fresh = async (orphans: KeyEntry[]): Promise<DiffPart | undefined> => {
    const first = await once.probe(orphans, NO_FILTER)
    return first.length > 0 ? counted(stats, first) : undefined
  }
  for await (const batch of candidates) {
    signal?.throwIfAborted()
    tally(stats, batch)
    const hashed = fingerprinter.fingerprint(batch)
    const orphans: KeyEntry[] = []
    for (let i = 0; i < batch.length; i++) {
      const entry = batch[i] as KeyEntry
      if (!filter.checkHash(hashed[4 * i] as number, hashed[4 * i + 1] as number)) {
        orphans.push(entry)
        continue
      }
      if (words.length < 4 * (maybes.length + 1)) {
        const grown = new Uint32Array(2 * words.length)
        grown.set(words)
        words = grown
      }
      words.set(hashed.subarray(4 * i, 4 * i + 4), 4 * maybes.length)
      maybes.push(entry)
    }
    if (maybes.length >= LOOKUP_RUN) orphans.push(...await settle())
    const part = await fresh(orphans)
    if (part !== undefined) yield part
  }
  if (maybes.length > 0) {
    const part = await fresh(await settle())
    if (part !== undefined) yield part
  }
}

function tally (stats: DiffStats, batch: KeyBatch): void {
  stats.candidates.count += batch.length
  for (const entry of batch) if (entry.size !== undefined) stats.candidates.bytes += entry.size
}

function count (stats: DiffStats, orphans: KeyBatch): void {
  stats.orphans.count += orphans.length
  for (const entry of orphans) if (entry.size !== undefined) stats.orphans.bytes += entry.size
}

function counted (stats: DiffStats, orphans: KeyBatch): DiffPart {
  count(stats, orphans)
  return { kind: 'orphans', entries: orphans }
}
