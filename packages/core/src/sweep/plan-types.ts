import type { DiffOptions, DiffStats } from '../engine/diff-types.ts'
import type { KeySourceLike } from '../keys/key-source.ts'

export interface PlanOptions {
  /** The keys that exist, with size and lastModified (an object listing, a directory). Required. */
  candidates: KeySourceLike
  /** Every source of references; all are unioned, so several databases sharing a store are all counted. Required. */
  references: KeySourceLike | readonly KeySourceLike[]
  /** Where the plan file (JSON Lines) is written; replaced atomically. Required. */
  out: string
  /**
   * The store's location (`s3://bucket/prefix`, `gs://bucket/prefix`, `file:///root`): the
   * plan binds it, and `apply` refuses to act on any other store.
   * @default the candidates' location when they name one (`dir:/root`), else none
   */
  store?: string
  /**
   * How long before the reference scan's start a candidate must have been modified to be
   * planned: a newer object may belong to a row the scan did not see. Milliseconds or
   * `'24h'`, `'30m'`. Zero needs `acknowledgeZeroGrace`. @default '24h'
   */
  grace?: number | string
  /** Allow a grace of zero: objects written up to the scan's start may be planned. @default false */
  acknowledgeZeroGrace?: boolean
  /** Plan candidates that carry no lastModified (they cannot be fenced). @default false */
  includeUndated?: boolean
  /** Globs of keys that never enter a plan (`**\/*.lock`, `manifests/**`). @default [] */
  protect?: readonly string[]
  /** Path segments of the per-prefix summary: 1 gives `blobs/`, 2 `blobs/ab/`. @default 1 */
  summaryDepth?: number
  /** Options passed on to the diff (mode, memory, strategy, referenceSet). @default {} */
  diff?: Omit<DiffOptions, 'candidates' | 'references' | 'missing' | 'signal'>
  signal?: AbortSignal
}

export interface PlanCounts {
  candidates: number
  references: number
  /** Candidates that no reference names. */
  orphans: number
  /** Orphans in the plan. */
  planned: number
  /** Orphans modified after the fence. */
  tooYoung: number
  /** Orphans with no lastModified, left out unless includeUndated. */
  undated: number
  /** Orphans matching a protected pattern. */
  protected: number
}

/** The first line of a plan file. */
export interface PlanHeader {
  keydiff: 'plan'
  version: 1
  createdAt: string
  /** The store the plan was made for and may act on, as a location; null when unknown. */
  store: string | null
  candidates: string
  references: string[]
  mode: string
  /** ISO time the reference scan started: the fence's base. */
  referenceScanStartedAt: string
  graceMs: number
  /** ISO time: candidates modified later are not planned. */
  fence: string
  includeUndated: boolean
  protect: string[]
  counts: PlanCounts
  bytes: { planned: number, tooYoung: number }
  /** The lines after the header: how many, how many bytes, and their SHA-256 (hex). */
  body: { lines: number, bytes: number, sha256: string }
}

export interface PrefixTotal {
  /** The first `summaryDepth` path segments with their `/`, or '' for top-level keys. */
  prefix: string
  count: number
  bytes: number
}

/** What `plan()` returns; a dry run is exactly this. */
export interface PlanSummary {
  path: string
  header: PlanHeader
  /** Planned keys and bytes per prefix, sorted by prefix. */
  prefixes: PrefixTotal[]
  diff: DiffStats
}
