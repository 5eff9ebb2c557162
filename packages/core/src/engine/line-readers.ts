import { availableParallelism } from 'node:os'
import type { KeySource, LineChunk } from '../contracts/key-source.ts'
import { lineChunksOf, lineFilesOf, type LineFile } from './line-chunks.ts'
import { LineHashThread, type HashedLines } from './line-hash-thread.ts'
import { blockReadable, type FileIdentity } from './line-blocks.ts'
import type { RecordRoute } from '../spill/routed-records.ts'

/** Lines as the hash diff reads them: chunks, or chunks already hashed by a thread. */
export type LineRead = LineChunk | HashedLines

/** The byte readers of a diff's sources (undefined for a source that has none), and how to end them. */
export interface LineReaders {
  readonly readers: Array<(() => AsyncIterable<LineRead>) | undefined>
  /**
   * Per source read by the threads, its files and what each was before the threads began to
   * read it (undefined for a file that is not a plain regular file, or a source not read there).
   */
  readonly files: Array<{ files: LineFile[], identities: Array<FileIdentity | undefined> } | undefined>
  /** Whether a thread reads them (it is starting when lineReaders returns). */
  readonly threaded: boolean
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
// outweigh the share of the reading it takes over.
const LINES_PER_READING_THREAD = 5_000_000

/**
 * The sources' lines as bytes (engine/line-chunks.ts). Sources that read files are read,
 * split and hashed (`stride` words a line, see HashedLines) on one second thread, one after
 * the other (LineHashThread), when `thread` is true, or when it is undefined, the machine has
 * more than one core, the files hold enough lines to pay for the thread and its entry was
 * shipped; the others are read here. A source's `routes` entry has the thread lay out its
 * lines' spill records too (HashedLines.routed); up to `threads` threads, one for every five
 * million lines, share the files' blocks when they are plain files (LineHashThreadOptions.threads).
 */
export function lineReaders (sources: KeySource[], thread: boolean | undefined, stride: 2 | 4, routes: Array<RecordRoute | undefined> = [], threads = 1): LineReaders {
  const chunks = sources.map(lineChunksOf)
  const files = sources.map(lineFilesOf)
  const lines = sources.reduce((sum, source, i) => files[i] === undefined ? sum : sum + (source.estimatedCount ?? THREAD_MIN_LINES), 0)
  const threaded = files.some(list => list !== undefined) && (thread ?? (availableParallelism() > 1 && lines >= THREAD_MIN_LINES && LineHashThread.shipped))
  if (!threaded) return { readers: chunks, files: [], threaded, stop: () => {} }
  const streams: LineFile[][] = []
  const streamOf = files.map(list => list === undefined ? undefined : streams.push(list()) - 1)
  // Taken before any thread starts to read: a file changed after this is caught whenever it is read again.
  const identities = streams.map(stream => stream.map(file => blockReadable(file.path)))
  const reading = Math.max(1, Math.min(threads, Math.floor(lines / LINES_PER_READING_THREAD)))
  const reader = new LineHashThread(streams, stride, { routes: streams.map((_, stream) => routes[streamOf.indexOf(stream)]), threads: reading, identities })
  return {
    files: streamOf.map(stream => stream === undefined ? undefined : { files: streams[stream] as LineFile[], identities: identities[stream] as Array<FileIdentity | undefined> }),
    readers: sources.map((_, i) => {
      const stream = streamOf[i]
      return stream === undefined ? chunks[i] : () => reader.batches(stream)
    }),
    threaded,
    stop: () => reader.stop()
  }
}

// Past this many, the thread that takes their batches is the one that waits.
const MAX_READING_THREADS = 8

/** Threads that may read files of lines: one a core given to the diff. */
export function readingThreads (threads: number | undefined): number {
  return Math.max(1, Math.min(MAX_READING_THREADS, threads ?? availableParallelism()))
}

/** The hashes of lines read by a thread, or undefined for a chunk read here. */
export function hashedLines (lines: LineRead): HashedLines | undefined {
  return 'stride' in lines ? lines : undefined
}
