import { Worker } from 'node:worker_threads'
import type { DiffPart } from '../engine/diff-types.ts'
import { packedBuffers, type PackedLines } from '../engine/packed-lines.ts'
import { PackedLinesPart } from '../engine/packed-lines-part.ts'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import { WorkerInbox } from '../util/worker-inbox.ts'
import { SpillError } from './disk-full-error.ts'
import type { CandidateFiles, ReadBackShare } from './orphan-lines.ts'
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
  /** The blocks this thread reads back (orphanLinesOfChunks): ALL_BLOCKS, or a share of them beside other threads'. */
  share: ReadBackShare
  /** Whose keys: the orphans' from the candidates' files, or the missing references' from the references'. */
  kind: DiffPart['kind']
}

/**
 * What the thread is sent: the orphan logs' segments once, then for each batch taken a
 * credit, or the batch itself, to be filled again, when the thread's memory is reused.
 */
export type OrphanLinesInput = { segments: OrphanSegment[] } | { taken: true } | PackedLines

/** A batch of a chunk's orphans, and the ordinal of the chunk's first line (OrphanLinesOfChunk.first). */
export interface OrphanLinesBatch {
  first: number
  lines: PackedLines
}

/** What the thread sends: its share's batches in the files' order, then its end or why it failed. */
export type OrphanLinesMessage = OrphanLinesBatch | { done: true } | { error: ThreadErrorReport }

/** A part of a thread's share of the orphans, and the ordinal of its chunk's first line. */
export interface OrphanLinesOfShare {
  first: number
  part: DiffPart
}

/**
 * Reads the orphans' keys back from the candidates' files on another thread (orphanLinesOfChunks
 * there): it reads and splits every line of its share of the files' blocks again and picks
 * the orphans' (a spill's last phase), while the calling thread only hands the picked lines
 * on; several such threads, each a share, are merged by mergedOrphanLines. Started before the
 * drain, so that its start-up overlaps it; it waits for the orphan logs' segments.
 */
export class OrphanLinesThread {
  private readonly worker: Worker
  private readonly inbox: WorkerInbox<OrphanLinesMessage>
  private readonly reuse: boolean
  private readonly kind: DiffPart['kind']

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'orphan-lines-worker')
  }

  constructor (job: OrphanLinesJob) {
    this.reuse = job.reuse
    this.kind = job.kind
    this.worker = new Worker(workerEntry(import.meta.url, 'orphan-lines-worker'), { workerData: job })
    this.inbox = new WorkerInbox(this.worker,
      error => new SpillError(job.dir, `the thread reading the ${whose(job.kind)} keys back failed: ${error.message}`, { cause: error }),
      code => new SpillError(job.dir, `the thread reading the ${whose(job.kind)} keys back exited (code ${code}) before it finished`))
  }

  /** The orphans of the logs' segments in the thread's share of the blocks, in the candidates' order. */
  async * read (segments: OrphanSegment[]): AsyncGenerator<OrphanLinesOfShare> {
    this.worker.postMessage({ segments } satisfies OrphanLinesInput)
    for (;;) {
      const message = await this.inbox.take()
      if ('done' in message) return
      if ('error' in message) throw rebuiltError(message.error, 'KEYDIFF_SPILL_FAILED')
      const part = new PackedLinesPart(this.kind, message.lines)
      if (!this.reuse) {
        this.worker.postMessage({ taken: true } satisfies OrphanLinesInput)
        yield { first: message.first, part }
        continue
      }
      yield { first: message.first, part }
      // The next part is asked for: this one's memory goes back to be filled again.
      part.release()
      this.worker.postMessage(message.lines satisfies OrphanLinesInput, packedBuffers(message.lines))
    }
  }

  stop (): void {
    this.inbox.fail(new Error('the thread reading the orphans back was stopped'))
    void this.worker.terminate()
  }
}

/**
 * The orphans of the logs' segments read back by threads that each read a share of the
 * candidates' blocks, merged into the candidates' order: a part is handed on once every
 * thread still reading has sent its next, the one whose lines come first. The next part of a
 * thread is asked for only once the consumer asked for the part after that thread's last, so
 * a part whose memory is reused stays whole until then. The threads' owner stops them.
 */
export async function * mergedOrphanLines (threads: readonly OrphanLinesThread[], segments: OrphanSegment[]): AsyncGenerator<DiffPart> {
  const shares = threads.map(thread => thread.read(segments))
  const heads = await Promise.all(shares.map(async share => await share.next()))
  for (;;) {
    let least = -1
    heads.forEach((head, k) => {
      if (head.done !== true && (least < 0 || head.value.first < (heads[least] as IteratorYieldResult<OrphanLinesOfShare>).value.first)) least = k
    })
    if (least < 0) return
    yield (heads[least] as IteratorYieldResult<OrphanLinesOfShare>).value.part
    heads[least] = await (shares[least] as AsyncGenerator<OrphanLinesOfShare>).next()
  }
}

function whose (kind: DiffPart['kind']): string {
  return kind === 'orphans' ? "orphans'" : "missing references'"
}
