import type { AuditSink } from '../contracts/audit-sink.ts'
import type { Lock, LockInfo } from '../contracts/lock.ts'
import type { PointLookup } from '../contracts/point-lookup.ts'
import type { BackoffOptions } from './backoff.ts'

export interface ApplyOptions extends BackoffOptions {
  /**
   * One sweep per target: taken before anything is acted on and released at the end. `null`
   * runs without a lock, when you guarantee that no other sweep runs. Required.
   */
  lock: Lock | null
  /** Take the lock over from its holder; the result names whom it displaced. @default false */
  force?: boolean
  /**
   * Act although the plan's binding to its store cannot be checked: the plan names no store
   * (made without `store` from candidates that name none), or the sink names none. A plan
   * and a sink that both name a store must name the same one (for an object store, the
   * plan's prefix within the sink's); nothing overrides that (KEYDIFF_PLAN_STORE).
   * @default false
   */
  allowUnboundPlan?: boolean
  /** Recorded as the lock's owner. @default `${user}@${host}` */
  owner?: string
  /** Reference sources that answer point look-ups; each batch is looked up in all of them right before acting, and keys referenced again are dropped. @default [] */
  recheck?: readonly PointLookup[]
  /** The audit log (JSON Lines), appended to and read to resume. @default `<plan>.audit.jsonl` */
  audit?: string
  /** Also told every batch's keys acted on and failed (a tombstones table); one that throws stops the run. @default [] */
  auditSinks?: readonly AuditSink[]
  /** Batches acted on at the same time. @default 4 */
  concurrency?: number
  /** Keys per sink call. @default the sink's maxBatch, else 1000 */
  batchSize?: number
  /** Called after each batch with the running totals. @default none */
  onProgress?: (progress: Readonly<ApplyResult>) => void
  signal?: AbortSignal
}

export interface ApplyFailure {
  readonly key: string
  readonly error: string
  readonly attempts: number
}

export interface ApplyResult {
  /** The plan file. */
  plan: string
  /** The plan's id, its header checksum (a SHA-256 that covers the body too), which ties audit records to the plan. */
  planId: string
  action: string
  sink: string
  audit: string
  /** Keys in the plan. */
  planned: number
  /** Keys an earlier run already acted on (from the audit log); for a restore, keys not quarantined (or restored already). */
  skipped: number
  /** Restore only: keys an earlier run quarantined into another trash than the sink's, left for a restore from there. */
  otherTrash: number
  /** Keys looked up in the re-check sources before acting (0 without any). */
  rechecked: number
  /** Keys a re-check found referenced again: not acted on. */
  dropped: number
  /** Keys acted on in this run. */
  done: number
  bytesDone: number
  /** Keys that still failed after their retries: not acted on, not counted as done. */
  failed: number
  /** The first 1,000 failures; the audit log holds them all. */
  failures: ApplyFailure[]
  /** Set when `force` displaced another lock holder. */
  takenOver: LockInfo | undefined
}
