import type { KeySource } from '@keydiff/core'
import { deriveSource, mayResolveElsewhere } from '@keydiff/core/adapter'
import type { KeyRange } from '@keydiff/core/adapter'
import { inRange } from './key-ranges.ts'

/**
 * The references a shard needs: those whose key lies in the shard's range, and every one
 * that may resolve to another key than its text (kept whatever the range). Cheaper shards,
 * never a lost reference: a reference outside the range can only match candidates that
 * another shard lists.
 */
export function referencesInRange (source: KeySource, range: KeyRange): KeySource {
  if (range.after === undefined && range.upTo === undefined) return source
  return deriveSource(source, async function * () {
    for await (const batch of source) {
      const kept = batch.filter(entry => inRange(entry.key, range) || mayResolveElsewhere(entry.key))
      if (kept.length > 0) yield kept
    }
  })
}
