import type { KeyBatch } from '../keys/key-entry.ts'
import type { KeySourceLike } from '../contracts/key-source.ts'
import type { ReferenceSetFactory } from '../contracts/reference-set.ts'

/**
 * `exact`: the orphans are exactly candidates − references, each once.
 * `bloom`: references go into the Bloom filter only; a candidate the filter rejects is an
 * orphan. Misses about a false-positive-rate share of the orphans, never reports a
 * referenced key, and may repeat a candidate that the input repeats.
 */
export type DiffMode = 'exact' | 'bloom'

/** `merge` when both sides are sorted (no filter, O(1) memory), else `hash`. */
export type DiffStrategy = 'merge' | 'hash'

export interface DiffOptions {
  /** The keys that exist (an object listing). */
  candidates: KeySourceLike
  /** The keys in use; several sources are unioned before the diff. */
  references: KeySourceLike | readonly KeySourceLike[]
  /** @default 'exact' */
  mode?: DiffMode
  /**
   * Also yield references that no candidate matches (exact mode only); `'count'` only counts
   * them (`stats.missing`), which lets the default set keep no reference's key. @default false
   */
  missing?: boolean | 'count'
  /** Memory budget, bytes or a size such as `'256MiB'`. @default '256MiB' */
  memory?: number | string
  /** Target false-positive rate of the Bloom filter. @default 0.01 */
  falsePositiveRate?: number
  /** Force a strategy; `merge` needs both sides sorted. @default chosen from the sources */
  strategy?: DiffStrategy
  /** The exact confirmation; see ReferenceSetFactory. @default spillReferenceSet({ tmpdir }) */
  referenceSet?: ReferenceSetFactory
  /** Where the default reference set makes its work directory when it spills. @default os.tmpdir() */
  tmpdir?: string
  /**
   * Read, split and fingerprint sources that are files of lines on other threads, while
   * this one joins them. @default true when the machine has more than one core, the files
   * hold a million lines or more and the thread's entry `line-hash-worker.js` is beside
   * core's `index.js`
   */
  readThread?: boolean
  /**
   * Threads the diff may use: files of lines are read and hashed by up to this many (each a
   * block of a megabyte in turn), a spill's partitions are settled on up to this many at
   * once, and with 1 no thread is started (no reading thread either, unless `readThread`
   * says so). Each thread past two takes about 20 MiB beyond `memory`.
   * @default the machine's cores (os.availableParallelism()), at most two and one for each 80 MiB of `memory`
   */
  threads?: number
  /**
   * The consumer is done with each part's `lines` and `entries` before it asks for the next
   * part, as a writer that writes them at once is: the diff may then fill their memory again
   * (a part's `entries` read later throw). Orphans read back from a file on another thread
   * otherwise each come in memory of their own, which the GC finds late: 35 MiB more peak
   * for a 20M diff's 3.35M orphans. @default false
   */
  transientParts?: boolean
  signal?: AbortSignal
}

/** What a run wants of the missing references (DiffOptions.missing): their keys, their count alone, or nothing. */
export type MissingWanted = 'keys' | 'count' | undefined

/** A batch of output: orphans (candidates − references) or missing keys (references − candidates). */
export interface DiffPart {
  readonly kind: 'orphans' | 'missing'
  readonly entries: KeyBatch
  /**
   * The entries' keys as text, when the diff holds them as the bytes of lines it read (the
   * candidates' file, read back): each key's UTF-8 bytes and a newline, in the entries'
   * order, exactly what writing `key + '\n'` for each entry writes. A writer of lines may
   * write it as it is; `entries` are then decoded only if read. With `transientParts`,
   * valid until the next part is asked for.
   */
  readonly lines?: Uint8Array | undefined
}

export interface DiffStats {
  mode: DiffMode
  /** Known once the run has started. */
  strategy: DiffStrategy | undefined
  phase: 'pending' | 'references' | 'candidates' | 'finishing' | 'done' | 'failed'
  candidates: { count: number, bytes: number, source: string }
  references: { count: number, source: string }
  orphans: { count: number, bytes: number }
  missing: { count: number } | undefined
  /**
   * The Bloom filter, when one was used. In bloom mode `estimatedFalsePositiveRate` is the
   * highest predicted rate of any pass's filter (the share of orphans the run may miss) and
   * `passes` how many hash partitions of the references were filtered one after another
   * (1 when one filter held them all; see BloomBudgetError).
   */
  filter: { blocks: number, bytes: number, bitsPerKey: number, estimatedFalsePositiveRate: number, passes?: number } | undefined
  memoryBudget: number
  /** ISO time the reference scan started: the basis of the sweep's time fence. */
  referenceScanStartedAt: string | undefined
  startedAt: string | undefined
  durationMs: number | undefined
  /** Bytes the exact confirmation wrote to its work directory (0 when it stayed in memory). */
  spilledBytes?: number
}

/** A diff in progress: iterate it for the output; `stats` is live and final at the end. */
export interface DiffRun extends AsyncIterable<DiffPart> {
  readonly stats: DiffStats
}
