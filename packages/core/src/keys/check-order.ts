import { NotSortedError } from '../errors.ts'
import { compareKeys } from './compare-keys.ts'
import type { KeyBatch } from './key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { deriveSource } from './derive-source.ts'

/**
 * Passes a sorted source through, failing with NotSortedError (naming both keys) at the
 * first key that is smaller than the one before it. Equal neighbours are allowed.
 * An unsorted source is returned as it is.
 */
export function checkOrder (source: KeySource): KeySource {
  if (!source.sorted) return source
  return deriveSource(source, async function * (): AsyncGenerator<KeyBatch> {
    let previous: string | undefined
    for await (const batch of source) {
      for (let i = 0; i < batch.length; i++) {
        const key = (batch[i] as { key: string }).key
        if (previous !== undefined && previous !== key && compareKeys(previous, key) > 0) throw new NotSortedError(source.name, previous, key)
        previous = key
      }
      yield batch
    }
  })
}
