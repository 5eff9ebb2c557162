import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { deriveSource } from '../keys/derive-source.ts'

/** Keeps the entries for which the predicate is true. Order is kept. */
export function filter (predicate: (entry: KeyEntry) => boolean): (source: KeySourceLike) => KeySource {
  if (typeof predicate !== 'function') throw new TypeError('filter: predicate must be a function')
  return (input) => {
    const source = toKeySource(input)
    return deriveSource(source, async function * () {
      for await (const batch of source) {
        const out = batch.filter(predicate)
        if (out.length > 0) yield out
      }
    })
  }
}
