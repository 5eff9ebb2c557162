import { Worker } from 'node:worker_threads'
import type { DiffPart } from '../engine/diff-types.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import { SpillError } from './disk-full-error.ts'
import type { CandidateFiles } from './orphan-lines.ts'
import type { OrphanSegment } from './orphan-marks.ts'

// Buffer's own slicers skip toString's argument checks (a third of the decoding's time here).
interface Slicers { latin1Slice?: (start: number, end: number) => string, utf8Slice?: (start: number, end: number) => string }
const own = Buffer.prototype as Buffer & Slicers
const latin1Slice: (bytes: Buffer & Slicers, start: number, end: number) => string = typeof own.latin1Slice === 'function'
  ? (bytes, start, end) => (bytes.latin1Slice as NonNullable<Slicers['latin1Slice']>)(start, end)
  : (bytes, start, end) => bytes.toString('latin1', start, end)
const utf8Slice: (bytes: Buffer & Slicers, start: number, end: number) => string = typeof own.utf8Slice === 'function'
  ? (bytes, start, end) => (bytes.utf8Slice as NonNullable<Slicers['utf8Slice']>)(start, end)
  : (bytes, start, end) => bytes.toString('utf8', start, end)

/** What an orphan lines thread is given: plain data, as a worker's `workerData` must be. */
export interface OrphanLinesJob {
  candidates: CandidateFiles
  /** The candidates spilled: the lines the files must hold. */
  count: number
  /** Ordinals the marks hold at a time (OrphanMarks). */
  window: number
  /** The work directory holding the orphan logs. */
  dir: string
  /** Batches the thread may have sent that the reader has not handed back. */
  ahead: number
}

/**
 * The orphans' keys of a chunk of the candidates' lines as UTF-8: key i is bytes `starts[i]`
 * to `ends[i]`. Handed back to the thread once decoded, to be filled again.
 */
export interface OrphanLinesBatch {
  bytes: ArrayBuffer
  starts: ArrayBuffer
  ends: ArrayBuffer
  /** Keys in the batch. */
  length: number
  /** Whether every key of the batch is ASCII (decoded as Latin-1 then: the same string, made quicker). */
  ascii: boolean
}

/** What the thread is sent: the orphan logs' segments once, then each batch handed back. */
export type OrphanLinesInput = { segments: OrphanSegment[] } | OrphanLinesBatch

/** What the thread sends: batches in the files' order, then its end or why it failed. */
export type OrphanLinesMessage = OrphanLinesBatch | { done: true } | { error: ThreadErrorReport }

/**
 * Reads the orphans' keys back from the candidates' files on another thread (readOrphanLines
 * there): it reads and splits every line of the files again and picks the orphans' (a spill's
 * last phase, with nothing else to run beside it), while the calling thread only decodes the
 * picked keys and hands them on. Started before the drain, so that its start-up overlaps it;
 * it waits for the orphan logs' segments.
 */
export class OrphanLinesThread {
  private readonly worker: Worker
  private readonly queue: OrphanLinesMessage[] = []
  private wake: (() => void) | undefined
  private failure: Error | undefined

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'orphan-lines-worker')
  }

  constructor (job: OrphanLinesJob) {
    this.worker = new Worker(workerEntry(import.meta.url, 'orphan-lines-worker'), { workerData: job })
    this.worker.on('message', (message: OrphanLinesMessage) => {
      this.queue.push(message)
      this.wake?.()
    })
    this.worker.once('error', error => this.fail(new SpillError(job.dir, `the thread reading the orphans' keys back failed: ${error.message}`, { cause: error })))
    this.worker.once('exit', code => this.fail(new SpillError(job.dir, `the thread reading the orphans' keys back exited (code ${code}) before it finished`)))
  }

  /** The orphans of the logs' segments, in the candidates' order. */
  async * read (segments: OrphanSegment[]): AsyncGenerator<DiffPart> {
    this.worker.postMessage({ segments } satisfies OrphanLinesInput)
    for (;;) {
      const message = await this.take()
      if ('done' in message) return
      if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SPILL_FAILED')
      const bytes = Buffer.from(message.bytes) as Buffer & Slicers
      const starts = new Uint32Array(message.starts, 0, message.length)
      const ends = new Uint32Array(message.ends, 0, message.length)
      const entries: KeyEntry[] = new Array(message.length)
      const decode = message.ascii ? latin1Slice : utf8Slice
      for (let i = 0; i < message.length; i++) entries[i] = { key: decode(bytes, starts[i] as number, ends[i] as number) }
      // The keys are copies: the batch's memory goes back to be filled again.
      this.worker.postMessage(message satisfies OrphanLinesInput, [message.bytes, message.starts, message.ends])
      yield { kind: 'orphans', entries }
    }
  }

  stop (): void {
    this.fail(new Error('the thread reading the orphans back was stopped'))
    void this.worker.terminate()
  }

  private async take (): Promise<OrphanLinesMessage> {
    for (;;) {
      const message = this.queue.shift()
      if (message !== undefined) return message
      if (this.failure !== undefined) throw this.failure
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  private fail (error: Error): void {
    this.failure ??= error
    this.wake?.()
  }
}
