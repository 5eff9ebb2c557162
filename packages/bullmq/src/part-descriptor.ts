import type { PlanCounts, PlanHeader, PrefixTotal } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'

/** What a shard hands back through Redis: a few hundred bytes, whatever the size of its part. */
export interface PartDescriptor {
  /** The shard's position in the run, from 0. */
  shard: number
  range: KeyRange
  /** The plan part, relative to the shared directory (`<run>/parts/…`). */
  path: string
  /** SHA-256 (hex) of the whole part file. */
  sha256: string
  /** Size of the part file. */
  bytes: number
  /** The part's own plan id (its header checksum), as its audit log names it. */
  planId: string
  store: string | null
  fence: string
  counts: PlanCounts
  /**
   * The range whose references `counts` holds (`references`, `foreignReferences`,
   * `bothSpellings`) when it is wider than `range`: a part split while it ran read the
   * references of its shard's whole range, which the parts after its end count again (see
   * mergeParts). Absent when it is `range`.
   */
  referencesCounted?: KeyRange | undefined
  bytesPlanned: PlanHeader['bytes']
  prefixes: PrefixTotal[]
  /** The job attempt that wrote the part (from 1). */
  attempt: number
}

/** The work of one shard of a distributed plan: the job's data. */
export interface PlanShardTask {
  run: string
  shard: number
  range: KeyRange
  /** The run's description, opened by each worker with its own environment. */
  description: import('./shard-opener.ts').RunDescription
  /** ISO time: the fence of every shard counts back from it. */
  referencesAsOf: string
  /**
   * A shard that lists more keys than this (from a sorted listing) ends its part at the key
   * where it passed them and hands the rest of its range to a new job of the same flow.
   * Undefined: shards are never split.
   */
  splitAbove?: number | undefined
  /**
   * The shard's references, scattered once before the shards ran: one file per reference source
   * (relative to the shared directory), read instead of the sources the opener returns.
   */
  references?: { files: string[], names: string[] } | undefined
}

/** The work of applying one plan part: the job's data. */
export interface ApplyPartTask {
  run: string
  part: PartDescriptor
  description: import('./shard-opener.ts').RunDescription
  /** Keys acted on per second across every worker, for the store; undefined for no limit. */
  keysPerSecond?: number | undefined
  /** The key that counts this store's actions in Redis. */
  rateKey: string
}

/** What applying one part did, as the apply job returns it. */
export interface PartApplied {
  shard: number
  planId: string
  audit: string
  planned: number
  skipped: number
  done: number
  dropped: number
  failed: number
  bytesDone: number
}
