import type { KeyEntry } from '../keys/key-entry.ts'

/** What happened to one key in a sink. A failure is reported, never thrown. */
export interface SinkOutcome {
  readonly key: string
  readonly ok: boolean
  /** Why it failed, with the store's own code where there is one. */
  readonly error?: string
  /** Whether trying again may succeed (throttling, a timeout). @default true */
  readonly retryable?: boolean
}

export interface SinkApplyOptions {
  signal?: AbortSignal
}

/**
 * Where the orphans of a plan go: delete, quarantine, tag for a lifecycle rule, release a
 * hold, drop a database. A sink acts on a batch and returns one outcome per key; it throws
 * only when the whole batch failed (then every key of it counts as failed). Acting twice on
 * a key is harmless: deleting what is already gone is a success.
 */
export interface Sink {
  /** Names the sink and its target in logs and errors, e.g. `delete:s3://bucket`. */
  readonly name: string
  /** The action recorded in the audit log: `delete`, `quarantine`, `tag`, ... */
  readonly action: string
  /** Most keys per call (S3 DeleteObjects takes 1,000). @default 1000 */
  readonly maxBatch?: number
  /**
   * The store this sink acts on, as a location (`s3://bucket/`, `file:///root`): `apply`
   * refuses a plan made for another store. A sink that leaves it out cannot be checked.
   */
  readonly store?: string
  /** What the sink does beyond this contract, as its adapter declares it. */
  readonly supports?: SinkCapabilities
  apply: (batch: readonly KeyEntry[], options?: SinkApplyOptions) => Promise<SinkOutcome[]>
}

/**
 * What a sink does beyond its contract, declared by the adapter on the sink
 * (`sink.supports`): the conformance suite reads it rather than each test file repeating it.
 * Whether the action can be undone is not here: a RestorableSink has `restore`.
 */
export interface SinkCapabilities {
  /**
   * Acts only on the object a plan recorded (its ETag, generation or modification time): one
   * rewritten since is reported failed ("changed since the plan", not retryable) and left as
   * it is. @default false
   */
  readonly changed?: boolean
}

/** A sink whose action can be undone (quarantine, soft delete). */
export interface RestorableSink extends Sink {
  /** Where the quarantined objects go, as a location; recorded in the audit log so `restore` finds them. */
  readonly trash?: string
  restore: (batch: readonly KeyEntry[], options?: SinkApplyOptions) => Promise<SinkOutcome[]>
}
