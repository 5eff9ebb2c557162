import { AbortError } from '../errors.ts'
import { compareKeys } from '../keys/compare-keys.ts'

export interface SplitPointsByLevelOptions {
  /** Stop once at least this many points were found. */
  readonly count: number
  /** Levels read at most. */
  readonly maxDepth: number
  readonly signal?: AbortSignal | undefined
}

/**
 * A store's split points found a level at a time: the prefixes `prefixesUnder(start)` gives,
 * then those under each of them, until there are `options.count` or `maxDepth` levels were
 * read; distinct and in byte order. `prefixesUnder` is the store's one delimited listing (the
 * first page of common prefixes, a directory's subdirectories) and leaves out what must not
 * be a point (keydiff's own `.keydiff/`).
 */
export async function splitPointsByLevel (prefixesUnder: (under: string) => Promise<string[]>, start: string, options: SplitPointsByLevelOptions): Promise<string[]> {
  let frontier = [start]
  const points: string[] = []
  for (let depth = 0; depth < options.maxDepth && frontier.length > 0 && points.length < options.count; depth++) {
    if (options.signal?.aborted === true) throw new AbortError('discovering split points was aborted', { cause: options.signal.reason })
    frontier = (await Promise.all(frontier.map(prefixesUnder))).flat()
    points.push(...frontier)
  }
  return [...new Set(points)].sort(compareKeys)
}
