import { compareKeys } from '../keys/compare-keys.ts'
import type { PrefixTotal } from './plan-types.ts'

/** The first `depth` directory segments of a key with their `/`; '' for a top-level key. */
export function prefixOf (key: string, depth: number): string {
  let end = 0
  for (let i = 0; i < depth; i++) {
    const slash = key.indexOf('/', end)
    if (slash === -1) break
    end = slash + 1
  }
  return key.slice(0, end)
}

/** Counts and bytes per key prefix: the per-collection report of a plan. */
export class PrefixTotals {
  private readonly totals = new Map<string, PrefixTotal>()

  constructor (private readonly depth: number) {
    if (!Number.isInteger(depth) || depth < 0) throw new TypeError('summaryDepth must be a non-negative integer')
  }

  add (key: string, bytes: number): void {
    const prefix = prefixOf(key, this.depth)
    const total = this.totals.get(prefix)
    if (total === undefined) this.totals.set(prefix, { prefix, count: 1, bytes })
    else {
      total.count++
      total.bytes += bytes
    }
  }

  list (): PrefixTotal[] {
    return [...this.totals.values()].sort((a, b) => compareKeys(a.prefix, b.prefix))
  }
}
