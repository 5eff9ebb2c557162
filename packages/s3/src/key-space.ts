import { compareKeys } from '@keydiff/core'
import { listPage, type KeyRange, type ListContext } from './list-range.ts'
import { s3Url } from './location.ts'
import { orderedParallel } from './ordered-parallel.ts'

export interface DiscoverOptions {
  readonly delimiter: string
  /** Stop once there are this many split points. */
  readonly targetPoints: number
  readonly maxDepth: number
  readonly concurrency: number
}

/**
 * Finds split points under `prefix` from the common prefixes that a delimited listing reveals,
 * level by level, reading only the first page of each. The points only balance the work:
 * the ranges cut at them cover every key whatever was found, so a store that reports
 * common prefixes incompletely makes some ranges larger, never the listing shorter.
 */
export async function discoverSplitPoints (context: ListContext, prefix: string, options: DiscoverOptions, signal?: AbortSignal): Promise<string[]> {
  let frontier = [prefix]
  const points: string[] = []
  for (let depth = 0; depth < options.maxDepth && frontier.length > 0 && points.length < options.targetPoints; depth++) {
    const tasks = frontier.map(under => async function * (taskSignal: AbortSignal): AsyncGenerator<string[]> {
      const where = `discovering prefixes of ${s3Url(context.bucket, under)}`
      yield (await listPage(context, { prefix: under, delimiter: options.delimiter }, where, taskSignal)).prefixes
    })
    const next: string[] = []
    for await (const found of orderedParallel(tasks, options.concurrency, 1, signal)) next.push(...found)
    points.push(...next)
    frontier = next
  }
  return points
}

/** Ranges `(p[i-1], p[i]]` under `prefix`: each key falls in exactly one, a key equal to a point in the range it ends. */
export function splitByPoints (prefix: string, points: readonly string[]): KeyRange[] {
  const sorted = [...new Set(points)].sort(compareKeys)
  const ranges: KeyRange[] = []
  let startAfter: string | undefined
  for (const point of sorted) {
    ranges.push({ prefix, startAfter, endAt: point })
    startAfter = point
  }
  ranges.push({ prefix, startAfter })
  return ranges
}

/**
 * The ranges cut to `(startAfter, endAt]`: those wholly outside go, the first kept starts
 * after `startAfter` and the last ends at `endAt`, so the store itself skips what lies before.
 */
export function withinBounds (ranges: readonly KeyRange[], bounds: { startAfter?: string | undefined, endAt?: string | undefined }): KeyRange[] {
  const { startAfter, endAt } = bounds
  const after = (a: string | undefined, b: string | undefined): string | undefined => a === undefined ? b : b === undefined ? a : compareKeys(a, b) >= 0 ? a : b
  const upTo = (a: string | undefined, b: string | undefined): string | undefined => a === undefined ? b : b === undefined ? a : compareKeys(a, b) <= 0 ? a : b
  return ranges
    .map(range => ({ prefix: range.prefix, startAfter: after(range.startAfter, startAfter), endAt: upTo(range.endAt, endAt) }))
    .filter(range => range.startAfter === undefined || range.endAt === undefined || compareKeys(range.startAfter, range.endAt) < 0)
}
