import type { KeySource } from '@keydiff/core'
import { deriveSource } from '@keydiff/core/adapter'
import type { KeyRange } from '@keydiff/core/adapter'
import { inRange } from './key-ranges.ts'

// A reference as written may name a key other than its text once the plan resolves it against
// the store: a URI (`s3://bucket/key`), an absolute path, a percent escape kept in both
// spellings, `//` or `.` segments that a directory store collapses. Such a reference is kept
// in every shard, since dropping a reference can make a live object an orphan.
const MAY_RESOLVE_ELSEWHERE = /[%:\\]|^\/|\/\/|(^|\/)\.\.?(\/|$)/

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

/** Whether a reference may name another key than its text once resolved against the store. */
export function mayResolveElsewhere (key: string): boolean {
  return MAY_RESOLVE_ELSEWHERE.test(key)
}
