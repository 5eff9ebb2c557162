import { hashBatch } from '../bloom/batch-hasher.ts'
import { BloomBudgetError } from '../bloom/filter-errors.ts'
import { BLOCK_BYTES, blocksFor, keysWithin } from '../bloom/sizing.ts'
import { MAX_FILTER_BLOCKS, SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { pickRejected } from '../bloom/pick-rejected.ts'
import { asSourceError, SourceError } from '../errors.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { KeySource, LineChunk } from '../contracts/key-source.ts'
import { formatBytes } from '../util/size.ts'
import type { DiffPart, DiffStats } from './diff-types.ts'
import { PartitionRoute, splitPartition, WHOLE_KEY_SPACE, type HashPartition } from './hash-partition.ts'
import { lineChunksOf } from './line-chunks.ts'
import { LineFilterHasher } from './line-filter-hashes.ts'
import { addedLines, checkedLines, hashedLines, lineReaders, readingThreads, type LineRead } from './line-readers.ts'
import { emptyPackedLines, ownPackedLines, packLines } from './packed-lines.ts'
import { countPart, PackedLinesPart } from './packed-lines-part.ts'

export interface BloomDiffInit {
  candidates: KeySource
  references: KeySource
  /** The rate promised: at most this share of the orphans is missed. */
  falsePositiveRate: number
  /** The diff's memory budget, named when it is too small. */
  memory: number
  /** Most bytes one pass's filter may take (a share of `memory`). */
  filterBytes: number
  stats: DiffStats
  /** Read and hash files of lines on other threads (see lineReaders). @default chosen from the machine and the files */
  readThread?: boolean | undefined
  /** Threads that may read and hash the files (see lineReaders). @default the machine's cores */
  threads?: number | undefined
  /** Have the reading threads add each pass's references to the filter and check its candidates against it (for tests). @default when two threads or more read */
  filterOnThreads?: boolean | undefined
  signal?: AbortSignal | undefined
}

// The filter is sized for this share of the promised rate: a filter at exactly the rate misses
// more than that share of the orphans in about half of all runs, one at 3/4 of it practically
// never (the orphans are many; their misses are a binomial count).
const RATE_MARGIN = 0.75
// Hash partitions are a little uneven: room for that, so that one split is enough.
const SPLIT_SLACK = 1.05
// 2^10 passes: partitions keep to the low 10 bits of the hash's upper word, and a filter of up
// to 2^22 blocks (128 MiB) picks blocks with the 22 bits above them.
const MAX_PASSES = 1024

/**
 * Bloom mode: the references into a Bloom filter, then each candidate the filter rejects is
 * an orphan. It keeps its promise at any size: when one filter of every reference would
 * exceed `filterBytes` at the rate, it makes several passes over hash partitions of the key
 * space (HashPartition), each a filter of that partition's references checked against that
 * partition's candidates; a pass whose references turn out too many for its filter is split
 * (or sized up) and made again before any of its candidates is read. Several passes read both
 * sources again, so they need sources of files, each read again unchanged; otherwise the run
 * fails with a BloomBudgetError naming the memory that one pass needs, before it reads a
 * candidate when the references' count is estimated right, never after reporting fewer
 * orphans than promised. The stats say the passes and the worst pass's false-positive rate
 * (predicted from its count, or measured from its bits when repeats made the count too high).
 */
export async function * bloomDiff (init: BloomDiffInit): AsyncGenerator<DiffPart> {
  const { candidates, references, stats } = init
  const target = init.falsePositiveRate * RATE_MARGIN
  const maxBlocks = Math.max(1, Math.min(MAX_FILTER_BLOCKS, Math.floor(init.filterBytes / BLOCK_BYTES)))
  const capacity = keysWithin(maxBlocks, target)
  const rereadable = lineChunksOf(references) !== undefined && lineChunksOf(candidates) !== undefined
  const estimate = references.estimatedCount
  const partsFor = (count: number): number => 2 ** Math.max(0, Math.ceil(Math.log2(count * SPLIT_SLACK / Math.max(1, capacity))))
  const cannot = (count: number, why: string): BloomBudgetError => {
    const filterBytes = blocksFor(count * SPLIT_SLACK, target) * BLOCK_BYTES
    const needed = filterBytes > MAX_FILTER_BLOCKS * BLOCK_BYTES ? undefined : Math.ceil(filterBytes * init.memory / init.filterBytes / 1048576) * 1048576
    const fix = needed === undefined ? 'no single filter can hold them: give references and candidates as files, which are read in several passes' : `give it memory ${formatBytes(needed)} (${needed} bytes) or more`
    return new BloomBudgetError(`${count} references need a ${formatBytes(filterBytes)} filter for a ${init.falsePositiveRate} false-positive rate, more than the ${formatBytes(maxBlocks * BLOCK_BYTES)} its memory budget of ${formatBytes(init.memory)} allows, and ${why}: ${fix}`, needed, count)
  }

  let todo: HashPartition[] = estimate === undefined ? [WHOLE_KEY_SPACE] : splitPartition(WHOLE_KEY_SPACE, partsFor(estimate), estimate)
  if (todo.length > MAX_PASSES) throw cannot(estimate as number, `that takes more than ${MAX_PASSES} passes`)
  if (todo.length > 1 && !rereadable) throw cannot(estimate as number, 'the sources cannot be read in several passes (only files can)')

  let filter: SplitBlockBloomFilter | undefined
  let referenceTotal: number | undefined
  let candidateTotal: number | undefined
  let fence: number | undefined
  let passes = 0
  let worstRate = 0
  while (todo.length > 0) {
    const partition = todo[0] as HashPartition
    const blocks = partition.expected === undefined ? maxBlocks : Math.min(maxBlocks, blocksFor(Math.max(1, partition.expected * SPLIT_SLACK), target))
    const first = referenceTotal === undefined
    // The reading threads may add the pass's references to the filter in its shared memory,
    // each sending only counts, and check the pass's candidates against it, each sending only
    // the lines it rejects.
    const readers = lineReaders([references, candidates], init.readThread, 2, [], readingThreads(init.threads), { add: 0, check: 1, always: init.filterOnThreads, partition })
    try {
      if (filter?.blocks === blocks && filter.checkers === readers.checkers) filter.clear()
      else filter = new SplitBlockBloomFilter(blocks, undefined, readers.checkers)
      readers.startAdds(filter)
      stats.phase = 'references'
      const [referenceLines, candidateLines] = readers.readers
      const route = new PartitionRoute(partition)
      let scanned: Scan
      try {
        scanned = referenceLines !== undefined
          ? await addReferenceLines(referenceLines, filter, route, init, first)
          : await addReferences(filter, route, init, first)
      } catch (error) {
        throw asSourceError(references.name, error)
      }
      if (readers.adders > 0) filter.tookAdds(scanned.added, readers.adders)
      stats.referenceScanStartedAt ??= references.scanStartedAt?.toISOString()
      // A second read must see the references the first saw: the count, and for the sweep's
      // fence the same scan start (a file's modification time).
      const started = references.scanStartedAt?.getTime()
      if (first) {
        referenceTotal = scanned.total
        fence = started
      } else if (scanned.total !== referenceTotal || started !== fence) {
        throw new SourceError(references.name, `read again for pass ${passes + 1} of a bloom diff, it ${scanned.total !== referenceTotal ? `gave ${scanned.total} keys where it gave ${referenceTotal}` : 'had been modified'}: it changed during the run`)
      }

      // The count says whether the filter may be too full, its bits whether it is: repeated
      // references count each time and set no more bits.
      const rate = scanned.inPartition > keysWithin(blocks, target) ? filter.measuredFalsePositiveRate() : filter.estimatedFalsePositiveRate()
      if (rate > target) {
        if (!rereadable) throw cannot(scanned.total, 'the sources cannot be read in several passes (only files can)')
        // Too many for this filter: a larger one when that fits, else finer partitions.
        const parts = scanned.inPartition <= capacity ? 1 : partsFor(scanned.inPartition)
        const finer = splitPartition(partition, parts, scanned.inPartition)
        if (passes + finer.length + todo.length - 1 > MAX_PASSES) throw cannot(scanned.total, `that takes more than ${MAX_PASSES} passes`)
        todo = [...finer, ...todo.slice(1)]
        continue
      }

      stats.phase = 'candidates'
      // Every reference is in: the filter is sealed, and the threads may check against it.
      readers.startChecks(filter)
      let total = 0
      try {
        const counted = candidateTotal === undefined
        const orphans = candidateLines !== undefined ? rejectedLines(candidateLines, filter, route, init, counted) : rejectedCandidates(filter, route, init, counted)
        for await (const batch of orphans) {
          if (typeof batch === 'number') {
            total = batch
            continue
          }
          countPart(stats.orphans, batch)
          yield batch
        }
      } catch (error) {
        throw asSourceError(candidates.name, error)
      }
      if (candidateTotal === undefined) candidateTotal = total
      else if (total !== candidateTotal) throw new SourceError(candidates.name, `read again for pass ${passes + 1} of a bloom diff, it gave ${total} keys where it gave ${candidateTotal}: it changed during the run`)

      passes++
      worstRate = Math.max(worstRate, rate)
      stats.filter = {
        blocks: filter.blocks,
        bytes: filter.byteLength,
        bitsPerKey: referenceTotal === 0 ? 0 : filter.byteLength * 8 * (passes + todo.length - 1) / (referenceTotal as number),
        estimatedFalsePositiveRate: worstRate,
        passes
      }
      todo = todo.slice(1)
    } finally {
      readers.stop()
    }
  }
}

/** A pass's references: all read, those in its partition, and of those the ones the reading threads added. */
type Scan = { total: number, inPartition: number, added: number }

async function addReferenceLines (lines: () => AsyncIterable<LineRead>, filter: SplitBlockBloomFilter, route: PartitionRoute, init: BloomDiffInit, first: boolean): Promise<Scan> {
  const whole = route.partition.bits === 0
  const hasher = new LineFilterHasher()
  let total = 0
  let inPartition = 0
  let added = 0
  for await (const read of lines()) {
    init.signal?.throwIfAborted()
    init.stats.referenceScanStartedAt ??= init.references.scanStartedAt?.toISOString()
    total += read.length
    if (first) init.stats.references.count += read.length
    const onThread = addedLines(read)
    if (onThread !== undefined) {
      // A thread added the pass's share of these to the filter.
      added += onThread.inPartition
      inPartition += onThread.inPartition
      continue
    }
    const hashed = hashedLines(read)
    // A chunk read here over the whole key space is hashed and added in one call, where its lines lie.
    if (hashed === undefined && whole) {
      filter.addLines(read as LineChunk)
      inPartition += read.length
    } else {
      inPartition += hashed !== undefined ? route.add(filter, hashed.words, hashed.stride, read.length) : route.add(filter, hasher.hash(read as LineChunk), 2, read.length)
    }
  }
  return { total, inPartition, added }
}

async function addReferences (filter: SplitBlockBloomFilter, route: PartitionRoute, init: BloomDiffInit, first: boolean): Promise<Scan> {
  const whole = route.partition.bits === 0
  let words = new Uint32Array(0)
  let total = 0
  let inPartition = 0
  for await (const batch of init.references) {
    init.signal?.throwIfAborted()
    init.stats.referenceScanStartedAt ??= init.references.scanStartedAt?.toISOString()
    total += batch.length
    if (first) init.stats.references.count += batch.length
    if (whole) {
      filter.addBatch(batch)
      inPartition += batch.length
      continue
    }
    if (words.length < 2 * batch.length) words = new Uint32Array(4 * batch.length)
    hashBatch(batch, words)
    inPartition += route.add(filter, words, 2, batch.length)
  }
  return { total, inPartition, added: 0 }
}

/**
 * The partition's candidates that the filter rejects, in batches; last, the number of
 * candidates read (all partitions'), so that a pass can tell a source that changed.
 */
async function * rejectedLines (lines: () => AsyncIterable<LineRead>, filter: SplitBlockBloomFilter, route: PartitionRoute, init: BloomDiffInit, first: boolean): AsyncGenerator<DiffPart | number> {
  const whole = route.partition.bits === 0
  const hasher = new LineFilterHasher()
  let maybe = new Uint8Array(4096)
  let picked = new Uint32Array(4096)
  let total = 0
  for await (const read of lines()) {
    init.signal?.throwIfAborted()
    total += read.length
    if (first) init.stats.candidates.count += read.length
    const checked = checkedLines(read)
    if (checked !== undefined) {
      // A thread checked the pass's share of these against the filter. A copy: the thread
      // fills the batch's memory again.
      if (checked.rejected.length > 0) yield new PackedLinesPart('orphans', ownPackedLines(checked.rejected))
      continue
    }
    const hashed = hashedLines(read)
    const chunk = hashed?.chunk ?? read as LineChunk
    let rejected: ArrayLike<number>
    let count = 0
    // As the references: a chunk read here over the whole key space is hashed and checked in one call.
    if (hashed === undefined && whole) {
      if (maybe.length < read.length) maybe = new Uint8Array(read.length * 2)
      if (picked.length < read.length) picked = new Uint32Array(read.length * 2)
      filter.checkLines(chunk, maybe)
      rejected = picked
      count = pickRejected(maybe, chunk.length, picked)
    } else {
      const routed = hashed !== undefined ? route.reject(filter, hashed.words, hashed.stride, read.length) : route.reject(filter, hasher.hash(chunk), 2, read.length)
      rejected = routed.rejected
      count = routed.length
    }
    if (count === 0) continue
    // The rejected lines' bytes, kept by the part: its keys are decoded only if read.
    const packed = emptyPackedLines()
    packLines(chunk, rejected, count, packed)
    yield new PackedLinesPart('orphans', packed)
  }
  yield total
}

async function * rejectedCandidates (filter: SplitBlockBloomFilter, route: PartitionRoute, init: BloomDiffInit, first: boolean): AsyncGenerator<DiffPart | number> {
  const whole = route.partition.bits === 0
  let maybe = new Uint8Array(4096)
  let words = new Uint32Array(0)
  let total = 0
  for await (const batch of init.candidates) {
    init.signal?.throwIfAborted()
    total += batch.length
    if (first) {
      init.stats.candidates.count += batch.length
      for (const entry of batch) if (entry.size !== undefined) init.stats.candidates.bytes += entry.size
    }
    const out: KeyEntry[] = []
    if (whole) {
      if (maybe.length < batch.length) maybe = new Uint8Array(batch.length * 2)
      filter.checkBatch(batch, maybe)
      for (let i = 0; i < batch.length; i++) if (maybe[i] === 0) out.push(batch[i] as KeyEntry)
    } else {
      if (words.length < 2 * batch.length) words = new Uint32Array(4 * batch.length)
      hashBatch(batch, words)
      const { rejected, length } = route.reject(filter, words, 2, batch.length)
      for (let j = 0; j < length; j++) out.push((batch as KeyBatch)[rejected[j] as number] as KeyEntry)
    }
    if (out.length > 0) yield { kind: 'orphans', entries: out }
  }
  yield total
}
