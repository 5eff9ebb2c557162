import type { KeyRange } from '../contracts/store-driver.ts'
import { deriveSource } from '../keys/derive-source.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { KeySource } from '../contracts/key-source.ts'

/**
 * The keys of `source` in the range `(after, upTo]`, in byte order. A sorted source stops
 * being read at its first key past `upTo`, so a shard near the start of a store lists
 * little more than its own keys; an unsorted one is read to its end. For a store that
 * cannot start a listing at a key, this is how its driver serves ranges.
 */
export function withinRange (source: KeySource, range: KeyRange = {}): KeySource {
  const { after, upTo } = range
  if (after === undefined && upTo === undefined) return source
  if (after !== undefined && upTo !== undefined && compareKeys(after, upTo) >= 0) {
    throw new TypeError(`withinRange: the range (${JSON.stringify(after)}, ${JSON.stringify(upTo)}] is empty; after must sort before upTo`)
  }
  return deriveSource(source, async function * () {
    for await (const batch of source) {
      const kept = batch.filter(entry => inKeyRange(entry.key, range))
      if (kept.length > 0) yield kept
      const last = batch[batch.length - 1]
      if (source.sorted && upTo !== undefined && last !== undefined && compareKeys(last.key, upTo) > 0) return
    }
  })
}

/** Whether `key` lies in `(after, upTo]`, in byte order. */
export function inKeyRange (key: string, range: KeyRange): boolean {
  return (range.after === undefined || compareKeys(key, range.after) > 0) && (range.upTo === undefined || compareKeys(key, range.upTo) <= 0)
}
