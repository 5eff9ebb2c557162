import { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { asSourceError } from '../errors.ts'
import type { KeyBatch } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { isHashedReferenceSet, type HashedReferenceSet } from '../spill/hashed-batch.ts'
import type { DiffPart, DiffStats, MissingWanted } from './diff-types.ts'
import type { ReferenceSetFactory } from '../contracts/reference-set.ts'
import { LineHasher } from './line-batch.ts'
import { countPart } from './packed-lines-part.ts'
import { lineBatchOf, lineReaders, readingThreads, type LineReaders } from './line-readers.ts'

export interface HashDiffInit {
  candidates: KeySource
  references: KeySource
  memory: number
  falsePositiveRate: number
  missing: MissingWanted
  referenceSet: ReferenceSetFactory
  stats: DiffStats
  /** Read and hash files of lines on a second thread (see lineReaders). @default chosen from the machine and the files */
  readThread?: boolean | undefined
  /** Threads the reference set may settle its work on (ReferenceSetInit.threads). */
  threads?: number | undefined
  /** DiffOptions.transientParts, passed to the reference set. */
  transientParts?: boolean | undefined
  signal?: AbortSignal | undefined
}

// Share of the budget a prefilter may take when the reference count is unknown: the
// reference set needs the rest.
const FILTER_SHARE = 0.125

/**
 * Exact mode's hash strategy: references into the reference set (and a Bloom prefilter when
 * the set uses one); then each candidate batch is checked against the filter in one call. A
 * rejected candidate is an orphan with no further work; an accepted one is confirmed by the
 * reference set. (Bloom mode is bloom-diff.ts.)
 */
export async function * hashDiff (init: HashDiffInit): AsyncGenerator<DiffPart> {
  const { candidates, references, stats, signal } = init
  const filter = init.referenceSet.usesFilter === false
    ? undefined
    : SplitBlockBloomFilter.create({
      expectedCount: references.estimatedCount,
      falsePositiveRate: init.falsePositiveRate,
      maxBytes: Math.max(32, Math.floor(init.memory * FILTER_SHARE))
    })
  const exact = await init.referenceSet({ memory: init.memory - (filter?.byteLength ?? 0), trackMissing: init.missing !== undefined, missingKeys: init.missing === 'keys', estimatedCount: references.estimatedCount, threads: init.threads, transientParts: init.transientParts, signal })
  let readers: LineReaders | undefined
  try {
    // Keys from files are hashed from their bytes when every consumer can take hashes.
    const hashed: HashedReferenceSet | undefined = filter === undefined && isHashedReferenceSet(exact) ? exact : undefined
    const hasher = new LineHasher()
    const routes = hashed?.routes?.()
    if (hashed !== undefined) readers = lineReaders([references, candidates], init.readThread, 4, [routes?.references, routes?.candidates], readingThreads(init.threads))
    const [referenceFiles, candidateFiles] = readers?.files ?? []
    if (referenceFiles !== undefined) hashed?.readsMissingFrom?.(referenceFiles)
    if (candidateFiles !== undefined) hashed?.readsOrphansFrom?.(candidateFiles)
    // This thread would wait while the reading thread starts (about 0.1 s): the table's page
    // faults, which the first inserts would take one by one, are taken then instead.
    if (readers?.threaded === true) hashed?.prefault?.()
    const [referenceLines, candidateLines] = readers?.readers ?? []
    stats.phase = 'references'
    try {
      if (referenceLines !== undefined) {
        for await (const read of referenceLines()) {
          signal?.throwIfAborted()
          stats.referenceScanStartedAt ??= references.scanStartedAt?.toISOString()
          ;(hashed as HashedReferenceSet).addHashed(lineBatchOf(read, hasher))
          stats.references.count += read.length
        }
      } else {
        for await (const batch of references) {
          signal?.throwIfAborted()
          stats.referenceScanStartedAt ??= references.scanStartedAt?.toISOString()
          filter?.addBatch(batch)
          await exact.add(batch)
          stats.references.count += batch.length
        }
      }
    } catch (error) {
      throw asSourceError(references.name, error)
    }
    stats.referenceScanStartedAt ??= references.scanStartedAt?.toISOString()
    await exact.seal()
    if (filter !== undefined) stats.filter = describeFilter(filter)

    stats.phase = 'candidates'
    let maybe = new Uint8Array(4096).fill(1)
    try {
      if (candidateLines !== undefined) {
        for await (const read of candidateLines()) {
          signal?.throwIfAborted()
          stats.candidates.count += read.length
          const orphans = (hashed as HashedReferenceSet).probeHashed(lineBatchOf(read, hasher))
          if (orphans.length > 0) yield counted(stats, orphans)
        }
      }
      for await (const batch of candidateLines === undefined ? candidates : []) {
        signal?.throwIfAborted()
        stats.candidates.count += batch.length
        if (maybe.length < batch.length) maybe = new Uint8Array(batch.length * 2).fill(1)
        filter?.checkBatch(batch, maybe)
        const orphans = await exact.probe(batch, maybe)
        for (const entry of batch) if (entry.size !== undefined) stats.candidates.bytes += entry.size
        if (orphans.length > 0) yield counted(stats, orphans)
      }
    } catch (error) {
      throw asSourceError(candidates.name, error)
    }
    // Every line is read: the threads' memory goes before the drain's threads take theirs.
    readers?.stop()

    stats.phase = 'finishing'
    for await (const part of exact.drain()) {
      signal?.throwIfAborted()
      countPart(part.kind === 'orphans' ? stats.orphans : stats.missing as { count: number }, part)
      if (part.kind === 'orphans' || init.missing === 'keys') yield part
    }
    if (stats.missing !== undefined) stats.missing.count += exact.missingCount ?? 0
    if (exact.spilledBytes !== undefined) stats.spilledBytes = exact.spilledBytes
  } finally {
    readers?.stop()
    await exact.close()
  }
}

function counted (stats: DiffStats, orphans: KeyBatch): DiffPart {
  const part: DiffPart = { kind: 'orphans', entries: orphans }
  countPart(stats.orphans, part)
  return part
}

function describeFilter (filter: SplitBlockBloomFilter): NonNullable<DiffStats['filter']> {
  return {
    blocks: filter.blocks,
    bytes: filter.byteLength,
    bitsPerKey: filter.insertedCount === 0 ? 0 : filter.byteLength * 8 / filter.insertedCount,
    estimatedFalsePositiveRate: filter.estimatedFalsePositiveRate(),
    passes: 1
  }
}
