import { availableParallelism } from 'node:os'
import type { KeySource, LineChunk } from '../contracts/key-source.ts'
import { lineChunksOf, lineFilesOf, type LineFile } from './line-chunks.ts'
import { LineHashThread, type AddedLines, type CheckedLines, type HashedLines, type RoutedLines } from './line-hash-thread.ts'
import type { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { blockReadable, type BlockLines, type FileIdentity } from './line-blocks.ts'
import type { RecordRoute } from '../spill/routed-records.ts'
import { LineBatch, type LineHasher } from './line-batch.ts'
import { RecordsBatch, type HashedBatch } from '../spill/hashed-batch.ts'
import type { HashPartition } from './hash-partition.ts'

/**
 * Lines as a diff reads them: chunks, chunks already hashed by a thread (or only their spill
 * records, for a set that takes them alone), a checked source's chunks (the lines a filter
 * rejected), or an added source's (the count a thread added).
 */
export type LineRead = LineChunk | HashedLines | RoutedLines | CheckedLines | AddedLines

/** The byte readers of a diff's sources (undefined for a source that has none), and how to end them. */
export interface LineReaders {
  readonly readers: Array<(() => AsyncIterable<LineRead>) | undefined>
  /**
   * Per source read by the threads, its files and what each was before the threads began to
   * read it (undefined for a file that is not a plain regular file, or a source not read there),
   * and how its blocks split its lines when several threads shared them (complete once read).
   */
  readonly files: Array<{ files: LineFile[], identities: Array<FileIdentity | undefined>, blocks: BlockLines | undefined } | undefined>
  /** Whether a thread reads them (it is starting when lineReaders returns). */
  readonly threaded: boolean
  /** Threads that check the checked source or add the added one (the rooms a filter needs for them, its `checkers`), 0 when the threads do neither. */
  readonly checkers: number
  /** Threads that add the added source to the filter (its adders), 0 when the calling thread adds it. */
  readonly adders: number
  /** Lets the threads add the added source to the filter, open, with `checkers` rooms (see LineHashThread.startAdds). */
  startAdds: (filter: SplitBlockBloomFilter) => void
  /** Lets the threads check the checked source against the filter, which is sealed (see LineHashThread.startChecks). */
  startChecks: (filter: SplitBlockBloomFilter) => void
  /** Ends the reading thread, if there is one. */
  stop: () => void
}

// Below this many lines in all, a thread's start (an isolate and its modules, about 60 ms)
// costs more than the reading and hashing it takes over (measured in an exact diff: 2 × 200k
// lines 130 ms alone, 200 ms with the thread; 2 × 500k even; 2 × 2M 0.9-1.1 s alone, 0.6-0.9 s
// with it).
const THREAD_MIN_LINES = 1_000_000
// Lines that pay for one more reading thread: below this its start (an isolate and its
// modules) and its memory (about 15 MiB with its buffers, in the memory bound's allowance)
// outweigh the share of the reading it takes over. Measured on two cores, 5 rounds
// interleaved, the CLI's median wall time with one reading thread against two: 4.2M lines
// exact 0.91 against 0.79 s, bloom 0.50 against 0.46 s; 2.1M lines exact 0.85 against 0.84,
// bloom 0.40 against 0.33 s (5M lines a thread before).
const LINES_PER_READING_THREAD = 2_000_000

/**
 * The sources' lines as bytes (engine/line-chunks.ts). Sources that read files are read,
 * split and hashed (`stride` words a line, see HashedLines) on one second thread, one after
 * the other (LineHashThread), when `thread` is true, or when it is undefined, the machine has
 * more than one core, the files hold enough lines to pay for the thread and its entry was
 * shipped; the others are read here. A source's `routes` entry has the thread lay out its
 * lines' spill records too (HashedLines.routed); up to `threads` threads, one for every two
 * million lines, share the files' blocks when they are plain files (LineHashThreadOptions.threads).
 * With two reading threads or more (or `always`), source `filter.add` is added to a filter on
 * them and source `filter.check` checked against it, the lines of `filter.partition` of the
 * key space only (LineHashThreadOptions.add, check and partition).
 */
export function lineReaders (sources: KeySource[], thread: boolean | undefined, stride: 2 | 4, routes: Array<RecordRoute | undefined> = [], threads = 1, filter?: { add: number, check: number, always?: boolean | undefined, partition?: HashPartition | undefined }): LineReaders {
  const chunks = sources.map(lineChunksOf)
  const files = sources.map(lineFilesOf)
  const lines = sources.reduce((sum, source, i) => files[i] === undefined ? sum : sum + (source.estimatedCount ?? THREAD_MIN_LINES), 0)
  const threaded = files.some(list => list !== undefined) && (thread ?? (availableParallelism() > 1 && lines >= THREAD_MIN_LINES && LineHashThread.shipped))
  if (!threaded) return { readers: chunks, files: [], threaded, checkers: 0, adders: 0, startAdds: () => {}, startChecks: () => {}, stop: () => {} }
  const streams: LineFile[][] = []
  const streamOf = files.map(list => list === undefined ? undefined : streams.push(list()) - 1)
  // Taken before any thread starts to read: a file changed after this is caught whenever it is read again.
  const identities = streams.map(stream => stream.map(file => blockReadable(file.path)))
  const reading = Math.max(1, Math.min(threads, Math.floor(lines / LINES_PER_READING_THREAD)))
  const onThreads = filter !== undefined && (reading >= FILTERING_MIN_THREADS || filter.always === true)
  const added = onThreads ? streamOf[filter.add] : undefined
  const checked = onThreads ? streamOf[filter.check] : undefined
  const reader = new LineHashThread(streams, stride, { routes: streams.map((_, stream) => routes[streamOf.indexOf(stream)]), threads: reading, identities, check: checked, add: added, partition: onThreads ? filter.partition : undefined })
  return {
    files: streamOf.map(stream => stream === undefined ? undefined : { files: streams[stream] as LineFile[], identities: identities[stream] as Array<FileIdentity | undefined>, blocks: reader.blocksOf(stream) }),
    readers: sources.map((_, i) => {
      const stream = streamOf[i]
      return stream === undefined ? chunks[i] : () => reader.batches(stream)
    }),
    threaded,
    checkers: checked === undefined && added === undefined ? 0 : reader.count,
    adders: added === undefined ? 0 : reader.count,
    startAdds: filter => { if (added !== undefined) reader.startAdds(filter) },
    startChecks: filter => { if (checked !== undefined) reader.startChecks(filter) },
    stop: () => reader.stop()
  }
}

// From this many reading threads on, they add an added source to the filter and check a
// checked source themselves: the calling thread, which otherwise adds and checks every line
// and packs the rejected, is then the one they wait for. Measured on a 20M bloom diff on two
// cores, 128MiB, interleaved: checking on the threads 4.86-5.58 s (median 5.3, 8 rounds)
// against 5.17-6.11 s (5.6) on the calling thread, whose profile showed it busy through the
// candidates with the threads waiting on it; adding there too, 1.94-2.31 s against
// 1.99-2.56 s (6 rounds). (Before the rejected lines were gathered in WebAssembly, the
// threads were the slower side and checking there lost: 2.00-2.26 s against 1.92-2.03 s.)
const FILTERING_MIN_THREADS = 2
// Past this many, the thread that takes their batches is the one that waits.
const MAX_READING_THREADS = 8

/** Threads that may read files of lines: one a core given to the diff. */
export function readingThreads (threads: number | undefined): number {
  return Math.max(1, Math.min(MAX_READING_THREADS, threads ?? availableParallelism()))
}

/**
 * Lines read as a batch of fingerprints: those a thread sent as they are (or their records
 * alone, RecordsBatch), a chunk read here hashed by `hasher`.
 */
export function lineBatchOf (read: LineRead, hasher: LineHasher): HashedBatch {
  if ('recordsOnly' in read) return new RecordsBatch(read.length, read.routed)
  const lines = hashedLines(read)
  return lines !== undefined ? new LineBatch(lines.chunk, lines.words, lines.routed) : hasher.hash(read as LineChunk)
}

/** The hashes of lines read by a thread, or undefined for a chunk read here. */
export function hashedLines (lines: LineRead): HashedLines | undefined {
  return 'stride' in lines ? lines : undefined
}

/** An added source's chunk (the count of lines a thread added), or undefined for any other. */
export function addedLines (lines: LineRead): AddedLines | undefined {
  return 'added' in lines ? lines : undefined
}

/** A checked source's chunk (the lines its filter rejected), or undefined for any other. */
export function checkedLines (lines: LineRead): CheckedLines | undefined {
  return 'rejected' in lines ? lines : undefined
}
