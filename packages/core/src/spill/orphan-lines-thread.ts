import { Worker } from 'node:worker_threads'
import type { DiffPart } from '../engine/diff-types.ts'
import { packedBuffers, type PackedLines } from '../engine/packed-lines.ts'
import { PackedLinesPart } from '../engine/packed-lines-part.ts'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import { WorkerInbox } from '../util/worker-inbox.ts'
import { SpillError } from './disk-full-error.ts'
import type { CandidateFiles } from './orphan-lines.ts'
import type { OrphanSegment } from './orphan-marks.ts'

/** What an orphan lines thread is given: plain data, as a worker's `workerData` must be. */
export interface OrphanLinesJob {
  candidates: CandidateFiles
  /** The candidates spilled: the lines the files must hold. */
  count: number
  /** Ordinals the marks hold at a time (OrphanMarks). */
  window: number
  /** The work directory holding the orphan logs. */
  dir: string
  /** Batches the thread may have sent that the reader has not taken. */
  ahead: number
  /** Whether a batch's memory comes back to be filled again once its part is done with (DiffOptions.transientParts). */
  reuse: boolean
}

/**
 * What the thread is sent: the orphan logs' segments once, then for each batch taken a
 * credit, or the batch itself, to be filled again, when the thread's memory is reused.
 */
export type OrphanLinesInput = { segments: OrphanSegment[] } | { taken: true } | PackedLines

/** What the thread sends: batches in the files' order, then its end or why it failed. */
export type OrphanLinesMessage = PackedLines | { done: true } | { error: ThreadErrorReport }

/**
 * Reads the orphans' keys back from the candidates' files on another thread (readOrphanLines
 * there): it reads and splits every line of the files again and picks the orphans' (a spill's
 * last phase, with nothing else to run beside it), while the calling thread only decodes the
 * picked keys and hands them on. Started before the drain, so that its start-up overlaps it;
 * it waits for the orphan logs' segments.
 */
export class OrphanLinesThread {
  private readonly worker: Worker
  private readonly inbox: WorkerInbox<OrphanLinesMessage>
  private readonly reuse: boolean

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'orphan-lines-worker')
  }

  constructor (job: OrphanLinesJob) {
    this.reuse = job.reuse
    this.worker = new Worker(workerEntry(import.meta.url, 'orphan-lines-worker'), { workerData: job })
    this.inbox = new WorkerInbox(this.worker,
      error => new SpillError(job.dir, `the thread reading the orphans' keys back failed: ${error.message}`, { cause: error }),
      code => new SpillError(job.dir, `the thread reading the orphans' keys back exited (code ${code}) before it finished`))
  }

  /** The orphans of the logs' segments, in the candidates' order. */
  async * read (segments: OrphanSegment[]): AsyncGenerator<DiffPart> {
    this.worker.postMessage({ segments } satisfies OrphanLinesInput)
    for (;;) {
      const message = await this.inbox.take()
      if ('done' in message) return
      if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SPILL_FAILED')
      const part = new PackedLinesPart('orphans', message)
      if (!this.reuse) {
        this.worker.postMessage({ taken: true } satisfies OrphanLinesInput)
        yield part
        continue
      }
      yield part
      // The next part is asked for: this one's memory goes back to be filled again.
      part.release()
      this.worker.postMessage(message satisfies OrphanLinesInput, packedBuffers(message))
    }
  }

  stop (): void {
    this.inbox.fail(new Error('the thread reading the orphans back was stopped'))
    void this.worker.terminate()
  }
}
