import { Worker } from 'node:worker_threads'
import { SourceError } from '../errors.ts'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import type { LineFile } from './line-chunks.ts'
import type { LineChunk } from '../contracts/key-source.ts'

/** What a line hash thread is given: plain data, as a worker's `workerData` must be. */
export interface LineHashJob {
  /** The streams to read, in order: each is files read one after the other. */
  streams: LineFile[][]
  /** Chunks the thread may have sent that the reader has not taken yet. */
  ahead: number
  /** Words of hash per line: 4 for the line's fingerprint, 2 for its filter hash alone. */
  stride: 2 | 4
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
}

/** A chunk of lines (LineChunk) with its fingerprints, in buffers handed over by the thread. */
export interface HashedLinesMessage {
  stream: number
  buffers: LineBuffers
  /** Bytes of `buffers.bytes` in use. */
  byteLength: number
  /** Lines: `length` starts and ends, `stride * length` words. */
  length: number
}

/** A line hash thread's messages: chunks of each stream, then its end or why it failed. */
export type LineHashMessage =
  | HashedLinesMessage
  | { stream: number, done: true }
  | { stream: number, error: ThreadErrorReport }

// Each chunk is about a megabyte of lines (engine/line-chunks.ts) and a third more for their
// offsets and fingerprints: four ahead keep both threads busy in a few megabytes.
const AHEAD = 4

/**
 * Reads files of lines on a second thread: the thread reads, splits and fingerprints them
 * (what a one-threaded diff spends about a third of its time on) while the calling thread
 * joins the fingerprints it has already sent. The streams are read in order, each only as
 * far ahead of its reader as `ahead` chunks, so the second stream (the candidates) is
 * already coming when the first (the references) ends. The batches are those of
 * `LineHasher.hash` over `readLineChunks` (or their first halves), line for line; a file
 * that cannot be read fails its stream with the error the reader would have thrown.
 */
export class LineHashThread {
  private readonly worker: Worker
  private readonly queue: LineHashMessage[] = []
  private wake: (() => void) | undefined
  private failure: Error | undefined
  private next = 0
  // Named in the thread's own failures: the thread reads them all.
  private readonly files: string

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'line-hash-worker')
  }

  constructor (streams: LineFile[][], private readonly stride: 2 | 4, ahead = AHEAD) {
    this.files = streams.flat().map(file => file.path).join(', ')
    this.worker = new Worker(workerEntry(import.meta.url, 'line-hash-worker'), { workerData: { streams, ahead, stride } satisfies LineHashJob })
    this.worker.on('message', (message: LineHashMessage) => this.push(message))
    this.worker.once('error', error => this.fail(new SourceError(this.files, `the thread reading the lines failed: ${error.message}`, { cause: error })))
    this.worker.once('exit', code => this.fail(new SourceError(this.files, `the thread reading the lines exited (code ${code}) before it finished`)))
  }

  /**
   * The batches of stream `stream`, valid until the next one is taken. Streams are taken in
   * order, each to its end, as the thread sends them.
   */
  async * batches (stream: number): AsyncGenerator<HashedLines> {
    if (stream !== this.next) throw new RangeError(`stream ${stream} was asked for before stream ${this.next} ended`)
    for (;;) {
      const message = await this.take()
      if ('done' in message) break
      if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SOURCE_FAILED')
      const { buffers, byteLength, length } = message
      const chunk = { bytes: Buffer.from(buffers.bytes, 0, byteLength), starts: new Uint32Array(buffers.starts, 0, length), ends: new Uint32Array(buffers.ends, 0, length), length }
      yield { chunk, words: new Uint32Array(buffers.words, 0, this.stride * length), stride: this.stride, length }
      // The batch is done with once the next is asked for: its memory goes back for reuse.
      this.worker.postMessage(buffers, [buffers.bytes, buffers.starts, buffers.ends, buffers.words])
    }
    this.next++
  }

  /** Ends the thread: after the last stream, a failure, or an early return. */
  stop (): void {
    this.failure ??= new SourceError(this.files, 'the thread reading the lines was stopped')
    void this.worker.terminate()
  }

  private async take (): Promise<LineHashMessage> {
    for (;;) {
      const message = this.queue.shift()
      if (message !== undefined) return message
      if (this.failure !== undefined) throw this.failure
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  private push (message: LineHashMessage): void {
    this.queue.push(message)
    this.wake?.()
  }

  private fail (error: Error): void {
    this.failure ??= error
    this.wake?.()
  }
}
