import type { BatchIterable, KeyBatch } from './key-entry.ts'
import type { SourceCapabilities } from '../contracts/source-capabilities.ts'

/**
 * A key source: an async iterable of batches plus what it knows about itself.
 *
 * A source that declares `sorted` promises UTF-8 byte order (the order S3 and GCS list in);
 * the engine checks the promise as keys flow and fails the run, naming both keys, when it is
 * broken. Duplicates are allowed in sorted sources.
 */
export interface KeySource extends AsyncIterable<KeyBatch> {
  /** Names the source in errors, progress and reports, e.g. `file:/data/refs.txt`. */
  readonly name: string
  /** True when keys arrive in non-decreasing UTF-8 byte order. */
  readonly sorted: boolean
  /** An estimate of the number of keys, used to size the Bloom filter; not a promise. */
  readonly estimatedCount?: number | undefined
  /**
   * When the source's scan started (a database snapshot's start time, the first page of a
   * listing). Known once iteration has begun; the sweep's time fence needs it.
   */
  readonly scanStartedAt?: Date | undefined
  /**
   * Where `scanStartedAt` comes from, for the plan's fence basis: `read started`, `file
   * modified` (an export is as old as its file), `inventory created`, `snapshot started`.
   * @default 'read started'
   */
  readonly scanBasis?: string | undefined
  /**
   * Entries the source passed over because it cannot name them as keys (a file name that
   * is not valid UTF-8): counted, with a few escaped examples. Known once iteration ends.
   */
  readonly unlisted?: UnlistedEntries | undefined
  /** What the source's store holds and its entries carry, as its adapter declares it. */
  readonly supports?: SourceCapabilities | undefined
}

/** What a source could not list, so that a plan says so instead of silently leaving it out. */
export interface UnlistedEntries {
  count: number
  /** Up to 10 names, with undecodable bytes escaped (`\\xff`). */
  examples: string[]
}

/** What the engine accepts where a source is expected: a KeySource or any batch iterable. */
export type KeySourceLike = KeySource | BatchIterable

export interface KeySourceInit {
  name: string
  sorted?: boolean
  estimatedCount?: number | undefined
  /** Called when iteration starts; the source's `scanStartedAt` is then set. */
  scanStartedAt?: () => Date
  /** What the source's store holds and its entries carry. @default undefined (nothing declared) */
  supports?: SourceCapabilities
}

/** Gives any batch iterable the KeySource shape; records the scan start on first pull. */
export function keySource (batches: BatchIterable | (() => BatchIterable), init: KeySourceInit): KeySource {
  const open = typeof batches === 'function' ? batches : () => batches
  const source = {
    name: init.name,
    sorted: init.sorted ?? false,
    estimatedCount: init.estimatedCount,
    supports: init.supports,
    scanStartedAt: undefined as Date | undefined,
    async * [Symbol.asyncIterator] (): AsyncGenerator<KeyBatch> {
      source.scanStartedAt = init.scanStartedAt?.() ?? new Date()
      yield * open()
    }
  }
  return source
}

export function isKeySource (value: unknown): value is KeySource {
  return typeof value === 'object' && value !== null &&
    typeof (value as KeySource).name === 'string' &&
    typeof (value as KeySource).sorted === 'boolean' &&
    typeof (value as KeySource)[Symbol.asyncIterator] === 'function'
}

let anonymous = 0

/** Normalises a KeySourceLike: a plain iterable becomes an unsorted source named `iterable#N`. */
export function toKeySource (value: KeySourceLike, name?: string): KeySource {
  if (isKeySource(value)) return value
  if (value === null || typeof value !== 'object' ||
    (typeof (value as AsyncIterable<KeyBatch>)[Symbol.asyncIterator] !== 'function' &&
      typeof (value as Iterable<KeyBatch>)[Symbol.iterator] !== 'function')) {
    throw new TypeError('a key source must be an iterable or async iterable of batches')
  }
  return keySource(value, { name: name ?? `iterable#${++anonymous}` })
}
