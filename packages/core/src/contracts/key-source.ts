import type { BatchIterable, KeyBatch } from '../keys/key-entry.ts'
import type { SourceCapabilities } from './source-capabilities.ts'

/**
 * The lines of a chunk of a newline-delimited file, as byte ranges of `bytes`: line i is
 * `bytes[starts[i], ends[i])`, its line ending removed, blank lines left out. `bytes` is the
 * whole region the lines were split from, so `splitLines(bytes.subarray(starts[i]))` gives
 * lines i, i + 1, ... again (a spill's keys file keeps lines that way).
 */
export interface LineChunk {
  readonly bytes: Buffer
  readonly starts: Uint32Array
  readonly ends: Uint32Array
  readonly length: number
}

/**
 * The capability a file-backed lines source carries: its lines as bytes, never as strings.
 * A chunk of a file is valid until the next one is asked for (its memory is read into again).
 */
export const LINE_CHUNKS: unique symbol = Symbol.for('keydiff.lineChunks')

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
  /**
   * A source that can hand the engine its keys as byte ranges of newline-separated text (a
   * file, a database's `COPY` output) offers them here: keys are then hashed straight from
   * the read buffer and only orphans become strings. Every other reader iterates batches.
   */
  readonly [LINE_CHUNKS]?: (() => AsyncIterable<LineChunk>) | undefined
}

/** What a source could not list, so that a plan says so instead of silently leaving it out. */
export interface UnlistedEntries {
  count: number
  /** Up to 10 names, with undecodable bytes escaped (`\\xff`). */
  examples: string[]
}

/** What the engine accepts where a source is expected: a KeySource or any batch iterable. */
export type KeySourceLike = KeySource | BatchIterable
