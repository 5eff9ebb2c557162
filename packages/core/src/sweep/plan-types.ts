import type { KeyRange } from '../contracts/store-driver.ts'
import type { DiffOptions, DiffStats } from '../engine/diff-types.ts'
import type { KeySourceLike } from '../contracts/key-source.ts'
import type { PrefixMismatchMode } from '../location/reference-conflicts.ts'
import type { ReferenceDecoding } from '../location/resolve-reference.ts'

export interface PlanOptions {
  /** The keys that exist, with size and lastModified (an object listing, a directory). Required. */
  candidates: KeySourceLike
  /** Every source of references; all are unioned, so several databases sharing a store are all counted. Required. */
  references: KeySourceLike | readonly KeySourceLike[]
  /** Where the plan file (JSON Lines) is written; replaced atomically. Required. */
  out: string
  /**
   * The store's location (`s3://bucket/prefix`, `gs://bucket/prefix`, `file:///root`): the
   * plan binds it, and `apply` refuses to act on any other store. With it, every reference
   * is resolved to a key of this store before the diff (URIs under equivalent schemes and
   * authorities, absolute paths, percent-encoding, `//` and `./` in directory keys); without
   * it, references are compared with the keys as written. Resolved references no longer count
   * as sorted, so the diff uses its hash strategy.
   * @default the candidates' location when they name one (`dir:/root`, `s3://bucket/prefix`, `gs://…`, `minio://…` as the adapters' listings do), else none
   */
  store?: string
  /**
   * Schemes that name the same kind of store, alias → canonical (`{ minio: 's3' }`), added to
   * the defaults (`s3a`, `s3n` → `s3`; `gcs` → `gs`; an absolute path is `file`). Only with `store`.
   * @default {}
   */
  equalSchemes?: Readonly<Record<string, string>>
  /**
   * Authorities (buckets, hosts) that name this store, alias → canonical
   * (`{ 'bucket.s3.amazonaws.com': 'bucket' }`). Only with `store`. @default {}
   */
  equalAuthorities?: Readonly<Record<string, string>>
  /**
   * What to do with an orphan whose key a reference to another store names (its path under
   * another scheme or authority, as Iceberg's `prefix_mismatch_mode`): `'error'` refuses the
   * plan (KEYDIFF_PREFIX_MISMATCH, naming counts and examples), `'ignore'` keeps such objects
   * (counted as `counts.conflicts`), `'delete'` plans them as unreferenced. Only with `store`.
   * @default 'error'
   */
  prefixMismatch?: PrefixMismatchMode
  /**
   * Percent-decode references that have no scheme: `'uri'` for sources that write keys
   * URI-encoded (Delta's log: `abc%20def/%231/file1.txt`), `'auto'` to decode only URIs
   * (`s3://…`, `file://…`). One value for every source, or one per reference source in
   * order. Only with `store`. @default 'auto'
   */
  decodeReferences?: ReferenceDecoding | readonly ReferenceDecoding[]
  /**
   * How long before the reference scan's start a candidate must have been modified to be
   * planned: a newer object may belong to a row the scan did not see. Milliseconds or
   * `'24h'`, `'30m'`. Zero needs `acknowledgeZeroGrace`. @default '24h'
   */
  grace?: number | string
  /**
   * Plan an orphan only once runs have found it orphaned for this long: first by a run at
   * least this long ago, then by every run since. An object's modification time says nothing
   * of when it stopped being referenced (delta-rs#4300); this does. The first-seen times are
   * kept in `orphanAgeDirectory`; a plan that fails or is refused leaves them as they were.
   * Milliseconds or `'7d'`, `'36h'`.
   * @default none: an orphan may be planned by the first run that finds it
   */
  minOrphanAge?: number | string
  /**
   * Where the first-seen times are kept between runs, made when missing: the run's work
   * directory's `orphan-age/`. One store and key range per directory; one run at a time.
   * Required with `minOrphanAge`.
   */
  orphanAgeDirectory?: string
  /** Allow a grace of zero: objects written up to the scan's start may be planned. @default false */
  acknowledgeZeroGrace?: boolean
  /** Plan candidates that carry no lastModified (they cannot be fenced). @default false */
  includeUndated?: boolean
  /** Globs of keys that never enter a plan (`**\/*.lock`, `manifests/**`). @default [] */
  protect?: readonly string[]
  /** Path segments of the per-prefix summary: 1 gives `blobs/`, 2 `blobs/ab/`. @default 1 */
  summaryDepth?: number
  /**
   * Plan even when the references are empty and the candidates are not. With no references
   * every stored object is an orphan, which is nearly always a failed export or a query that
   * returned nothing, so the plan is refused unless this is set. @default false
   */
  allowEmptyReferences?: boolean
  /**
   * In exact mode, the largest share (0..1) of the distinct references that may name no
   * candidate. More is the signature of a wrong prefix, template or bucket, and the plan is
   * refused. 1 turns the guard off; bloom mode cannot count missing references and skips it.
   * @default 0.5
   */
  maxMissingShare?: number
  /** The largest share (0..1) of the candidates that may be planned; more refuses the plan. 1 turns the guard off. @default 0.9 */
  maxOrphanShare?: number
  /**
   * Count the references that name no candidate (exact mode) into `counts.missing` even with
   * their guard off: a distributed run judges the missing share once, on every shard's count.
   * @default only while the missing-share guard is on
   */
  countMissing?: boolean
  /**
   * The slice `(after, upTo]` of the store that the candidates are: references resolving
   * outside it are left out after resolution, so they are neither read into the diff nor
   * counted missing here; the shard holding their key counts them. The candidates are cut to
   * it too. References to other stores and those passed on in both spellings are counted
   * only when their text lies in the range, so that the shards' counts add up to one plan's.
   * A distributed run's shards each plan one range. @default the whole key space
   */
  range?: KeyRange
  /**
   * Protect hidden names: a key with a path segment that starts with `.` or `_`, other than a
   * `_name=value` partition folder (`_SUCCESS`, `_temporary/`, `.crc` files, `.hoodie/`), is
   * never planned, as Iceberg and Delta never list them. Counted as `counts.hidden`.
   * @default true
   */
  protectHidden?: boolean
  /**
   * Key prefixes that are never candidates (a quarantine prefix or directory inside the store):
   * dropped before the diff and counted as `counts.excluded`. Keys with a `.keydiff` segment
   * are never candidates, whatever this says. @default []
   */
  exclude?: readonly string[]
  /**
   * When the references were true, declared outright (an export's snapshot time, as an ISO
   * time or a Date): the fence counts back from it instead of from the references' scans.
   * @default the earliest `scanStartedAt` of the references
   */
  referencesAsOf?: Date | string
  /** Options passed on to the diff (mode, memory, strategy, referenceSet). @default {} */
  diff?: Omit<DiffOptions, 'candidates' | 'references' | 'missing' | 'signal'>
  /**
   * Called when the plan starts, after each batch of orphans and when the diff is over, with
   * one live object: keep it and read it on a timer for a progress display. @default none
   */
  onProgress?: (progress: Readonly<PlanProgress>) => void
  signal?: AbortSignal
}

/**
 * Where a plan is: `diff` while the engine reads the sources and finds orphans (its own
 * `diff.phase` says which: references, candidates, or finishing when it drains what it
 * spilled), then `plan` while the guards decide and the header is written.
 */
export interface PlanProgress {
  phase: 'diff' | 'plan'
  /** The engine's live figures: keys read per side, orphans found. */
  readonly diff: Readonly<DiffStats>
  /** Orphans written to the plan so far, after the fence and the protections. */
  planned: number
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
  /** Orphans with a hidden path segment, protected by `protectHidden` (absent in older plans). */
  hidden?: number
  /** Stored keys dropped before the diff: `.keydiff` segments and the `exclude` prefixes (absent in older plans). */
  excluded?: number
  /** Names the sources passed over because they cannot be keys (not valid UTF-8) (absent in older plans). */
  unlisted?: number
  /** Orphans the fence lets through that runs have not yet found orphaned for `minOrphanAge` (present with `minOrphanAge`). */
  tooRecentlyOrphaned?: number
  /** References that name another store (another scheme or authority, or a file outside the root): not matched, counted (present when the plan has a `store`). */
  /**
   * Bare references holding a percent escape that were kept in both spellings, as written and
   * decoded (`decodeReferences: 'auto'`); they count once in `references`. Absent when none.
   */
  bothSpellings?: number
  foreignReferences?: number
  /** References that name no listed candidate, when counted (exact mode, with the missing-share guard on or `countMissing`). */
  missing?: number
  /** Orphans the fence would plan whose key a reference to another store names: kept, or the plan refused (present with a `store`, unless `prefixMismatch` is `'delete'`, which keeps no such keys). */
  conflicts?: number
}

/** Where the fence counts back from. */
export interface FenceBasis {
  /** ISO time the references were true. */
  time: string
  /** The reference source the time came from; null when declared or unknown. */
  source: string | null
  /** `declared` (referencesAsOf), `plan started` (no source said), or the source's own `scanBasis`: `read started`, `file modified`, `inventory created`, ... */
  basis: string
}

/** The plausibility guards a plan was checked against, and what they measured. */
export interface PlanGuardRecord {
  allowEmptyReferences: boolean
  maxMissingShare: number
  maxOrphanShare: number
  /** Share of the distinct references that named no candidate; null when not measured (bloom mode, guard off, no references). */
  missingShare: number | null
  /** Share of the candidates planned; null with no candidates. */
  orphanShare: number | null
}

/** The first line of a plan file. */
export interface PlanHeader {
  keydiff: 'plan'
  /** The plan format; version 2 seals the header with its own checksum and binds the store. */
  version: 2
  createdAt: string
  /** The store the plan was made for and may act on, as a location; null when unknown. */
  store: string | null
  candidates: string
  references: string[]
  mode: string
  /** ISO time the fence counts back from (kept under its old name; see fenceBasis). */
  referenceScanStartedAt: string
  /** Where the fence's base time comes from (absent in older plans). */
  fenceBasis?: FenceBasis
  graceMs: number
  /** ISO time: candidates modified later are not planned. */
  fence: string
  includeUndated: boolean
  protect: string[]
  /** Whether hidden names were protected (absent in older plans, which did not). */
  protectHidden?: boolean
  /** Key prefixes that were never candidates (absent in older plans). */
  exclude?: string[]
  /** The guards and the shares they measured (absent in older plans). */
  guards?: PlanGuardRecord
  /** Per source, the names it could not list, with escaped examples (absent in older plans; empty when none). */
  unlisted?: Array<{ source: string, count: number, examples: string[] }>
  counts: PlanCounts
  bytes: { planned: number, tooYoung: number, tooRecentlyOrphaned?: number }
  /**
   * The `minOrphanAge` rule, when the plan has one: the age, and the ledger's runs committed
   * before this one and when the last of them ran (null on a ledger's first run).
   */
  orphanAge?: { minAgeMs: number, previousRuns: number, previousRunAt: string | null }
  /** The lines after the header: how many, how many bytes, and their SHA-256 (hex). */
  body: { lines: number, bytes: number, sha256: string }
  /**
   * SHA-256 (hex) of the header's canonical JSON without this field. It covers the store, the
   * fence and the counts and, through `body`, every entry: the plan's id in the audit log.
   */
  checksum: string
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
