import type { KeySource, PlanOptions, PointLookup, Sink } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'

/**
 * A run's description: a plain JSON object (it travels through Redis in every job), with
 * secrets as `${VAR}` names that each worker resolves from its own environment.
 */
export type RunDescription = object

/**
 * The options of `plan()` a description sets for every shard: the fence's grace, protections,
 * the store and how references resolve against it, the diff's mode and memory. The guards,
 * the fence's base time, the sources and the output are the distributed run's own.
 */
export type ShardPlanOptions = Omit<PlanOptions,
  'candidates' | 'references' | 'out' | 'signal' | 'onProgress' | 'referencesAsOf' |
  'allowEmptyReferences' | 'maxMissingShare' | 'maxOrphanShare' | 'minOrphanAge' | 'orphanAgeDirectory'>

/** What a worker needs of a run for one range, opened in the worker's own process. */
export interface OpenedShard {
  /** The store's keys in the range (the driver pushes the range down where it can). */
  candidates: KeySource
  /** Every reference source of the run; the worker keeps those of the range. */
  references: KeySource[]
  /** What the description sets for `plan()`. @default {} */
  planOptions?: ShardPlanOptions | undefined
  /** The run's action, for a distributed apply; undefined when the run has none. */
  sink?: Sink | undefined
  /** The reference sources that answer point look-ups, re-checked before acting. @default [] */
  recheck?: readonly PointLookup[] | undefined
  /** Ends what was opened (clients, snapshots); called once the job is done or failed. */
  close: () => Promise<void>
}

/**
 * Opens a run from its description for one range, in the worker's process, with the worker's
 * environment: the CLI's `openRun`, or a library user's own. Keeping it injected keeps this
 * package free of every store and database driver.
 */
export type ShardOpener = (description: RunDescription, range: KeyRange, purpose: 'plan' | 'apply') => Promise<OpenedShard>
