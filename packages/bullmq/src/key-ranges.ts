import { compareKeys } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'

/** Where the split points of `hexRanges` are taken from. */
export interface HexRangesOptions {
  /**
   * What every content-addressed key starts with before its hex digits (`blobs/`): the split
   * points are this prefix followed by hex digits. Keys outside the prefix still fall into
   * the first or last shard. @default ''
   */
  prefix?: string
  /**
   * Hex digits per path segment of the key layout after the prefix: `[2, 2]` for
   * `blobs/ab/cd/…`, so that a split point past the first two digits is `blobs/ab/4`, not
   * `blobs/ab4` (which sorts after every key of `blobs/ab/`). @default one segment
   */
  groups?: readonly number[]
}

/**
 * `count` ranges `(after, upTo]` that cover the whole byte-ordered key space, split at hex
 * prefixes: for keys whose next characters after `prefix` are hex digits (a SHA-1 or SHA-256
 * address, `blobs/ab/…`), each shard gets about the same share of keys. The first range has no
 * lower bound and the last no upper bound, so no key is ever outside every shard.
 */
export function hexRanges (count: number, options: HexRangesOptions = {}): KeyRange[] {
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`hexRanges: ${String(count)} is not a positive number of shards`)
  const prefix = options.prefix ?? ''
  // as many digits as it takes to give every shard its own split point
  let digits = 1
  while (16 ** digits < count) digits++
  const points: string[] = []
  for (let i = 1; i < count; i++) {
    const value = Math.floor(i * 16 ** digits / count)
    points.push(prefix + laidOut(value.toString(16).padStart(digits, '0'), options.groups))
  }
  return rangesBetween(points)
}

/** Hex digits with a `/` after each group of the layout that more digits follow. */
function laidOut (digits: string, groups: readonly number[] = []): string {
  let out = ''
  let at = 0
  for (const size of groups) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`hexRanges: ${String(size)} is not a number of hex digits`)
    if (at + size >= digits.length) break
    out += digits.slice(at, at + size) + '/'
    at += size
  }
  return out + digits.slice(at)
}

/**
 * `count` ranges split at quantiles of a sample of keys (the keys of an inventory, of the
 * previous run's plan, of a listing of the store's first pages): about the same share of the
 * sample in each. Fewer ranges come back when the sample has fewer distinct keys.
 */
export function sampledRanges (sample: Iterable<string>, count: number): KeyRange[] {
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`sampledRanges: ${String(count)} is not a positive number of shards`)
  const keys = [...new Set(sample)].sort(compareKeys)
  const points: string[] = []
  for (let i = 1; i < count; i++) {
    const key = keys[Math.floor(i * keys.length / count) - 1]
    if (key !== undefined && key !== points[points.length - 1]) points.push(key)
  }
  return rangesBetween(points)
}

/** A range of an earlier run with the keys it listed: a part of its manifest. */
export interface CountedRange {
  readonly range: KeyRange
  readonly counts: { readonly candidates: number }
}

/**
 * About `count` ranges from the previous run's per-shard counts (its manifest's `parts`):
 * adjacent ranges are joined until each holds about the same share of the keys listed then,
 * cut only where the previous run's ranges ended. A range that alone holds more than its
 * share is kept whole; dynamic splitting (`splitAbove`) cuts it while it runs.
 */
export function countedRanges (previous: readonly CountedRange[], count: number): KeyRange[] {
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`countedRanges: ${String(count)} is not a positive number of shards`)
  const parts = [...previous].sort((a, b) => a.range.after === undefined ? -1 : b.range.after === undefined ? 1 : compareKeys(a.range.after, b.range.after))
  const total = parts.reduce((sum, part) => sum + part.counts.candidates, 0)
  const points: string[] = []
  let seen = 0
  for (const part of parts) {
    seen += part.counts.candidates
    const upTo = part.range.upTo
    // the next cut falls where the keys seen so far reach the next share
    if (upTo !== undefined && seen >= (points.length + 1) * total / count && points.length < count - 1) points.push(upTo)
  }
  return rangesBetween(points)
}

/**
 * A sample of a source's keys for `sampledRanges`, of at most `max` keys whatever the
 * source's size: every key at first, every second once the sample fills, then every fourth,
 * and so on. The source is the keys of an S3 inventory (`s3InventorySource`, whose order is
 * no order), of a previous plan, of the first pages of a listing; it is read to its end, and a
 * failure fails the sampling.
 */
export async function sampleKeys (source: AsyncIterable<ReadonlyArray<{ readonly key: string }>>, max = 100_000): Promise<string[]> {
  if (!Number.isInteger(max) || max < 1) throw new TypeError(`sampleKeys: ${String(max)} is not a positive sample size`)
  let sample: string[] = []
  let step = 1
  let seen = 0
  for await (const batch of source) {
    for (const entry of batch) {
      if (seen++ % step !== 0) continue
      sample.push(entry.key)
      if (sample.length > max) {
        sample = sample.filter((_, i) => i % 2 === 0)
        step *= 2
      }
    }
  }
  return sample
}

/** The ranges between sorted, distinct split points: `(-, p1], (p1, p2], …, (pn, -)`. */
export function rangesBetween (points: readonly string[]): KeyRange[] {
  for (let i = 1; i < points.length; i++) {
    if (compareKeys(points[i - 1] as string, points[i] as string) >= 0) throw new TypeError(`rangesBetween: split points must be distinct and in byte order (${JSON.stringify(points[i - 1])} then ${JSON.stringify(points[i])})`)
  }
  const ranges: KeyRange[] = []
  let after: string | undefined
  for (const point of points) {
    ranges.push(after === undefined ? { upTo: point } : { after, upTo: point })
    after = point
  }
  ranges.push(after === undefined ? {} : { after })
  return ranges
}

/** Whether `key` lies in `(after, upTo]`. */
export function inRange (key: string, range: KeyRange): boolean {
  return (range.after === undefined || compareKeys(key, range.after) > 0) && (range.upTo === undefined || compareKeys(key, range.upTo) <= 0)
}

/** `(a, b]` as people read it, for messages and progress. */
export function formatRange (range: KeyRange): string {
  return `(${range.after === undefined ? '-' : JSON.stringify(range.after)}, ${range.upTo === undefined ? '-' : JSON.stringify(range.upTo)}]`
}
