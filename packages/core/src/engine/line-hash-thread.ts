import { Worker } from 'node:worker_threads'
import { SourceError } from '../errors.ts'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import { WorkerInbox } from '../util/worker-inbox.ts'
import type { LineFile } from './line-chunks.ts'
import { assertUnchanged, blockReadable, type BlockLines, type BlockShare, type FileIdentity } from './line-blocks.ts'
import type { LineChunk } from '../contracts/key-source.ts'
import { partitionsOf, recordWords, type RecordRoute, type RoutedRecords } from '../spill/routed-records.ts'
import type { FilterCheckerRegion } from '../bloom/filter-checker.ts'
import type { FilterAdderRegion } from '../bloom/filter-adder.ts'
import type { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import type { PackedLines } from './packed-lines.ts'
import type { HashPartition } from './hash-partition.ts'

/** What a line hash thread is given: plain data, as a worker's `workerData` must be. */
export interface LineHashJob {
  /** The streams to read, in order: each is files read one after the other. */
  streams: LineFile[][]
  /** Chunks the thread may have sent that the reader has not taken yet. */
  ahead: number
  /** Words of hash per line: 4 for the line's fingerprint, 2 for its filter hash alone. */
  stride: 2 | 4
  /** Per stream, the spill records to lay out beside the fingerprints (stride 4 only). */
  routes?: Array<RecordRoute | undefined> | undefined
  /** Per stream, whether its chunks carry their records alone (RoutedLines), their lines and fingerprints not sent. */
  recordsOnly?: boolean[] | undefined
  /** When several threads read the streams: this thread's blocks, and every file's identity by stream. */
  blocks?: { share: BlockShare, identities: FileIdentity[][] } | undefined
  /** The stream whose lines the thread checks against the filter it is sent (stride 2 only): only the rejected are sent. */
  check?: number | undefined
  /** The stream whose lines the thread adds to the filter it is sent (stride 2 only): only their count is sent. */
  add?: number | undefined
  /** The share of the key space the filter is for: only its lines are added and checked. */
  partition?: HashPartition | undefined
}

/** What a line hash thread is sent besides a batch's buffers handed back: the filter to check against, or to add to. */
export type LineHashInput = { filter: FilterCheckerRegion } | { adder: FilterAdderRegion }

/**
 * A chunk of an added stream: of its `length` lines, the `inPartition` of the filter's share
 * of the key space went into the filter on the thread, and nothing else of them crosses.
 */
export interface AddedLines {
  readonly length: number
  readonly inPartition: number
  readonly added: true
}

/**
 * A chunk of a checked stream: how many lines it held, and those of the filter's share of the
 * key space that the filter rejected (their keys, packed: PackedLines). Valid until the next
 * is taken.
 */
export interface CheckedLines {
  readonly length: number
  readonly rejected: PackedLines
}

/**
 * A chunk of lines and their hashes: line i's are `words[stride * i]` on, its fingerprint
 * (spill/fingerprint.ts) with a stride of 4, the first half of it (the Bloom filter's hash)
 * with 2.
 */
export interface HashedLines {
  readonly chunk: LineChunk
  readonly words: Uint32Array
  readonly stride: 2 | 4
  /** The chunk's line count. */
  readonly length: number
  /** The lines' spill records by partition, when the stream has a route. */
  readonly routed?: RoutedRecords | undefined
}

/**
 * A chunk of a stream whose set takes its records alone (RecordRoute.recordsOnly): how many
 * lines it held and their spill records, valid until the next is taken; the lines and their
 * fingerprints stayed on the thread.
 */
export interface RoutedLines {
  readonly length: number
  readonly routed: RoutedRecords
  readonly recordsOnly: true
}

/**
 * The memory of a chunk of lines: handed to the reader with the chunk in it, and back to the
 * thread once the reader is done with it, so that both threads reuse the same pages.
 */
export interface LineBuffers {
  bytes: ArrayBuffer
  starts: ArrayBuffer
  ends: ArrayBuffer
  words: ArrayBuffer
  /** The routed records and their partitions' offsets (empty without a route). */
  records: ArrayBuffer
  partitionStarts: ArrayBuffer
}

/**
 * A chunk of lines (LineChunk) with its fingerprints, in buffers handed over by the thread;
 * with `recordsOnly`, its routed records alone, the lines' buffers not filled.
 */
export interface HashedLinesMessage {
  stream: number
  buffers: LineBuffers
  /** Bytes of `buffers.bytes` in use. */
  byteLength: number
  /** Lines: `length` starts and ends, `stride * length` words. */
  length: number
  recordsOnly: boolean
}

/** A chunk of a checked stream: `rejected` of its `length` lines, packed in `buffers`' bytes, starts and ends. */
export interface CheckedLinesMessage {
  stream: number
  buffers: LineBuffers
  length: number
  rejected: number
  ascii: boolean
  utf8: boolean
}

/** A chunk of an added stream (AddedLines). */
export interface AddedLinesMessage extends AddedLines {
  stream: number
}

/** A line hash thread's messages: chunks of each stream, then its end or why it failed. */
export type LineHashMessage =
  | HashedLinesMessage
  | CheckedLinesMessage
  | AddedLinesMessage
  | { stream: number, done: true }
  | { stream: number, error: ThreadErrorReport }

// Each chunk is about a megabyte of lines (engine/line-chunks.ts) and a third more for their
// offsets and fingerprints: four ahead keep both threads busy in a few megabytes.
const AHEAD = 4
// A checked stream's chunks hold only the lines its filter rejected, a few hundred kilobytes:
// each thread may have more of them in flight. The reader takes the threads' blocks in turn,
// so a thread two chunks ahead of another waited for it (a 20M bloom diff on two cores: each
// thread idle 140-195 ms of 2.2 s with 2 ahead, 60-107 ms with 8, and 0.1 s less wall time).
const CHECKED_AHEAD = 8
// So do chunks of records alone (RoutedLines), half a megabyte for a megabyte block: the reader
// takes them in turn too. A 20M exact diff on two cores, 6 rounds interleaved: 2.70-3.05 s
// (median 2.86) with 8 a thread against 2.91-3.50 s (3.08) with 2, the same peak memory.
const RECORDS_AHEAD = 8
// The bytes of a block when several threads share a file: about a read chunk of lines each.
const BLOCK_BYTES = 1024 * 1024

export interface LineHashThreadOptions {
  /** Chunks each thread may have sent that the reader has not taken yet. @default 4 in all, at least 2 a thread; 8 a thread with a checked stream, or when threads share the blocks of streams that all send records alone */
  ahead?: number | undefined
  /**
   * Per stream, the spill records each chunk also carries (HashedLines.routed), or carries
   * alone (RoutedLines) as its route's `recordsOnly` says. @default none
   */
  routes?: Array<RecordRoute | undefined> | undefined
  /**
   * Threads that read the files, each every `threads`-th block of a megabyte, when every file
   * is a plain (not gzipped) regular file; otherwise one reads them from their start. @default 1
   */
  threads?: number | undefined
  /** The bytes of a block (for tests). @default 1 MiB */
  blockBytes?: number | undefined
  /** Each stream's files as they were before any read (blockReadable). @default taken here */
  identities?: Array<Array<FileIdentity | undefined>> | undefined
  /**
   * A stream the threads check against a filter (`startChecks`) rather than send whole: its
   * batches are CheckedLines. Stride 2 only. @default none
   */
  check?: number | undefined
  /**
   * A stream the threads add to a filter (`startAdds`) rather than send: its batches are
   * AddedLines, and each thread has finished adding once the stream ends. Stride 2 only. @default none
   */
  add?: number | undefined
  /** The share of the key space whose lines the threads add and check (a pass of a bloom diff). @default the whole */
  partition?: HashPartition | undefined
}

/** One reading thread: its worker and the messages it has sent that were not taken yet. */
class ReadingThread {
  readonly worker: Worker
  private readonly inbox: WorkerInbox<LineHashMessage>

  constructor (job: LineHashJob, private readonly files: string) {
    this.worker = new Worker(workerEntry(import.meta.url, 'line-hash-worker'), { workerData: job })
    this.inbox = new WorkerInbox(this.worker,
      error => new SourceError(files, `the thread reading the lines failed: ${error.message}`, { cause: error }),
      code => new SourceError(files, `the thread reading the lines exited (code ${code}) before it finished`))
  }

  async take (): Promise<LineHashMessage> {
    return await this.inbox.take()
  }

  stop (): void {
    this.inbox.fail(new SourceError(this.files, 'the thread reading the lines was stopped'))
    void this.worker.terminate()
  }
}

/**
 * Reads files of lines on other threads: they read, split and fingerprint them (what a
 * one-threaded diff spends about a third of its time on) while the calling thread joins the
 * fingerprints already sent. With several threads each reads every n-th block of a megabyte
 * of every file, and the blocks are taken back in turn, so the lines come in file order
 * whatever the thread count. The streams are read in order, each only as far ahead of its
 * reader as `ahead` chunks a thread, so the second stream (the candidates) is already coming
 * when the first (the references) ends. The batches are those of `LineHasher.hash` over
 * `readLineChunks` (or their first halves), line for line, cut into other chunks; a file
 * that cannot be read, or that changes while it is read, fails its stream with the error the
 * reader would have thrown.
 */
export class LineHashThread {
  private readonly threads: ReadingThread[]
  private readonly identities: FileIdentity[][] | undefined
  private readonly routes: Array<RecordRoute | undefined>
  // Per stream read by blocks, the lines of each block as they come: where each block's lines
  // stand, for those that read the files again (blocksOf).
  private readonly blockLines: number[][]
  private readonly blockBytes: number
  private next = 0

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'line-hash-worker')
  }

  constructor (private readonly streams: LineFile[][], private readonly stride: 2 | 4, options: LineHashThreadOptions = {}) {
    const routes = this.routes = options.routes ?? []
    if (stride !== 4 && routes.some(route => route !== undefined)) throw new RangeError('records are routed by whole fingerprints (stride 4)')
    if ((options.check ?? options.add) !== undefined && stride !== 2) throw new RangeError('lines are checked and added by their filter hashes (stride 2)')
    this.blockLines = streams.map(() => [])
    this.blockBytes = options.blockBytes ?? BLOCK_BYTES
    const files = streams.flat().map(file => file.path).join(', ')
    const count = Math.max(1, Math.floor(options.threads ?? 1))
    // Several threads keep about as many chunks in flight in all as one does.
    const job = { streams, ahead: options.ahead ?? (options.check !== undefined ? CHECKED_AHEAD : Math.max(2, Math.ceil(AHEAD / count))), stride, routes, check: options.check, add: options.add, partition: options.partition }
    const identities = count > 1 ? options.identities ?? streams.map(stream => stream.map(file => blockReadable(file.path))) : undefined
    if (identities === undefined || identities.some(stream => stream.some(identity => identity === undefined))) {
      this.threads = [new ReadingThread(job, files)]
      return
    }
    this.identities = identities as FileIdentity[][]
    const blockBytes = this.blockBytes
    // Only a block is split where its records are laid out, so only threads that share blocks
    // send records alone; and they do only when every file is a plain file, the test a
    // 'read-back' route asks for (the set's own for reading its orphans back, CandidateFiles).
    const recordsOnly = streams.map((_, stream) => routes[stream]?.recordsOnly !== undefined)
    const ahead = options.ahead === undefined && recordsOnly.every(Boolean) ? RECORDS_AHEAD : job.ahead
    this.threads = Array.from({ length: count }, (_, index) => new ReadingThread({ ...job, ahead, recordsOnly, blocks: { share: { index, count, blockBytes }, identities: this.identities as FileIdentity[][] } }, files))
  }

  /**
   * The batches of stream `stream`, valid until the next one is taken. Streams are taken in
   * order, each to its end, as the threads send them.
   */
  async * batches (stream: number): AsyncGenerator<HashedLines | RoutedLines | CheckedLines | AddedLines> {
    if (stream !== this.next) throw new RangeError(`stream ${stream} was asked for before stream ${this.next} ended`)
    const route = this.routes[stream]
    for (let turn = 0; ; turn++) {
      const thread = this.threads[turn % this.threads.length] as ReadingThread
      const message = await thread.take()
      if ('done' in message) {
        // Every thread has sent all of its blocks once one has no next block to send.
        for (const other of this.threads) if (other !== thread) await this.ended(other, stream)
        break
      }
      if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SOURCE_FAILED')
      // With several threads, each message is a block (readLineBlocks).
      if (this.identities !== undefined) this.blockLines[stream]?.push(message.length)
      if ('added' in message) {
        yield { length: message.length, inPartition: message.inPartition, added: true }
        continue
      }
      if ('rejected' in message) {
        const { buffers } = message
        yield { length: message.length, rejected: { bytes: buffers.bytes, starts: buffers.starts, ends: buffers.ends, length: message.rejected, ascii: message.ascii, utf8: message.utf8 } }
        thread.worker.postMessage(buffers, [buffers.bytes, buffers.starts, buffers.ends, buffers.words, buffers.records, buffers.partitionStarts])
        continue
      }
      const { buffers, byteLength, length } = message
      const routed = route === undefined
        ? undefined
        : { route, words: new Uint32Array(buffers.records, 0, recordWords(route) * length), starts: new Uint32Array(buffers.partitionStarts, 0, partitionsOf(route) + 1) }
      if (!message.recordsOnly) {
        const chunk = { bytes: Buffer.from(buffers.bytes, 0, byteLength), starts: new Uint32Array(buffers.starts, 0, length), ends: new Uint32Array(buffers.ends, 0, length), length }
        yield { chunk, words: new Uint32Array(buffers.words, 0, this.stride * length), stride: this.stride, length, routed }
      } else if (routed !== undefined) {
        yield { length, routed, recordsOnly: true }
      } else {
        throw new RangeError(`stream ${stream} came as records alone, but has no route`)
      }
      // The batch is done with once the next is asked for: its memory goes back for reuse.
      thread.worker.postMessage(buffers, [buffers.bytes, buffers.starts, buffers.ends, buffers.words, buffers.records, buffers.partitionStarts])
    }
    // Threads that opened a file at different times read the same bytes only if it held still throughout.
    if (this.identities !== undefined) {
      for (const [f, file] of (this.streams[stream] ?? []).entries()) assertUnchanged(file, this.identities[stream]?.[f] as FileIdentity)
    }
    this.next++
  }

  /**
   * How stream `stream`'s files were split into blocks, when several threads shared them
   * (undefined when one thread read them whole): the lines of each block, noted as the
   * batches are taken, complete once the stream has ended.
   */
  blocksOf (stream: number): BlockLines | undefined {
    const lines = this.blockLines[stream]
    return this.identities === undefined || lines === undefined ? undefined : { blockBytes: this.blockBytes, lines }
  }

  /** Threads that read: each checks its own share of a checked stream (a filter's checkers). */
  get count (): number {
    return this.threads.length
  }

  /**
   * Lets the threads check the checked stream against `filter`, which has a checker's room
   * for each of them and gets no more keys: it is sealed here (checkerRegion).
   */
  startChecks (filter: SplitBlockBloomFilter): void {
    this.threads.forEach((thread, k) => { thread.worker.postMessage({ filter: filter.checkerRegion(k) } satisfies LineHashInput) })
  }

  /**
   * Lets the threads add the added stream to `filter`, which has a room for each of them
   * (adderRegion). Each has finished once the stream has ended: then the filter may take the
   * stream's count in (tookAdds).
   */
  startAdds (filter: SplitBlockBloomFilter): void {
    this.threads.forEach((thread, k) => { thread.worker.postMessage({ adder: filter.adderRegion(k) } satisfies LineHashInput) })
  }

  /** Ends the threads: after the last stream, a failure, or an early return. */
  stop (): void {
    for (const thread of this.threads) thread.stop()
  }

  private async ended (thread: ReadingThread, stream: number): Promise<void> {
    const message = await thread.take()
    if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SOURCE_FAILED')
    if (!('done' in message)) {
      const file = this.streams[stream]?.[0]
      throw new SourceError(file?.name ?? 'lines', `${this.streams[stream]?.map(each => each.path).join(', ')} changed while read: the threads reading its blocks found different sizes`)
    }
  }
}
