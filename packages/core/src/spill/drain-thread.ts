import { Worker } from 'node:worker_threads'
import { rebuiltError, type ThreadErrorReport } from '../util/thread-error.ts'
import { workerEntry, workerShipped } from '../util/worker-entry.ts'
import { SpillError } from './disk-full-error.ts'
import type { OrphanSegment } from './orphan-marks.ts'
import type { MissingWanted } from '../engine/diff-types.ts'
import type { PartitionFiles } from './partition-drain.ts'

// Claims at or past this mean "stop": no thread takes another partition.
const STOPPED = 0x3fffffff

/**
 * The partitions of a spill, handed out one at a time to whichever drain thread asks first:
 * a counter in shared memory, so that the threads need no messages to share the work and a
 * failing thread stops the others at their next claim.
 */
export class PartitionClaims {
  private readonly counter: Int32Array

  /** `shared`: the counter's memory, to claim from in another thread (a DrainJob's `claims`). */
  constructor (private readonly count: number, readonly shared: SharedArrayBuffer = new SharedArrayBuffer(4)) {
    this.counter = new Int32Array(shared)
  }

  /** The next unclaimed partition, or -1 when none is left or the drain stopped. */
  next (): number {
    const p = Atomics.add(this.counter, 0, 1)
    return p < this.count ? p : -1
  }

  stop (): void {
    Atomics.store(this.counter, 0, STOPPED)
  }
}

/** What a drain thread is given: plain data, as a worker's `workerData` must be. */
export interface DrainJob {
  /** The work directory (made and removed by the thread that spilled). */
  dir: string
  /** The file name prefix of this thread's orphan log (and, with `-missing` after it, of its missing references' log). */
  log: string
  logBuffer: number
  readChunk: number
  partitions: PartitionFiles[]
  /** The memory of the PartitionClaims that both threads claim from. */
  claims: SharedArrayBuffer
  /** What is wanted of the references no candidate matched (PartitionDrain's `missing`). */
  missing?: MissingWanted
}

/**
 * What a drain thread leaves: its orphan log's segments, its missing references' log's (their
 * keys wanted), the bytes it wrote to both, and the missing references it counted.
 */
export interface DrainResult {
  segments: OrphanSegment[]
  missingSegments: OrphanSegment[]
  written: number
  missing: number
}

/** A drain thread's last message: what it leaves, or why it failed. */
export type DrainReport =
  | { result: DrainResult }
  | { error: ThreadErrorReport }

/**
 * A second thread that drains spill partitions beside the calling one (a join settled on two
 * cores, as DuckDB does): it claims partitions from the same PartitionClaims, logs its orphans
 * to a log of its own, and reports that log's segments when no partition is left. An error
 * there stops the claims, so both threads stop at their next partition, and rejects
 * `finished` with the same code.
 */
export class DrainThread {
  /** The thread's orphan log, once it has drained its last partition. */
  readonly finished: Promise<DrainResult>
  private readonly worker: Worker

  /** Whether the thread's entry is there (see workerShipped). */
  static get shipped (): boolean {
    return workerShipped(import.meta.url, 'drain-worker')
  }

  constructor (job: Omit<DrainJob, 'claims'>, private readonly claims: PartitionClaims) {
    this.worker = new Worker(workerEntry(import.meta.url, 'drain-worker'), { workerData: { ...job, claims: claims.shared } satisfies DrainJob })
    this.finished = new Promise((resolve, reject) => {
      this.worker.once('message', (report: DrainReport) => {
        if ('result' in report) resolve(report.result)
        else reject(rebuiltError(report.error, 'KEYDIFF_SPILL_FAILED'))
      })
      this.worker.once('error', error => {
        claims.stop()
        reject(new SpillError(job.dir, `the second drain thread failed: ${error.message}`, { cause: error }))
      })
      this.worker.once('exit', code => {
        claims.stop()
        reject(new SpillError(job.dir, `the second drain thread exited (code ${code}) before it reported`))
      })
    })
    // A run that fails first never waits for this thread: its rejection is not unhandled.
    this.finished.catch(() => {})
  }

  /** Stops the claims and the thread (after a failure, an abort, or an early return). */
  stop (): void {
    this.claims.stop()
    void this.worker.terminate()
  }
}
