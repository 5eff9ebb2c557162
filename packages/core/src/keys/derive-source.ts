import type { KeyBatch } from './key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'

/**
 * A source made from another by a transform: it keeps the inner source's name, count
 * estimate, scan start and what it could not list unless told otherwise, so metadata survives an `it-pipe` chain.
 */
export function deriveSource (
  inner: KeySource,
  batches: () => AsyncIterable<KeyBatch>,
  overrides: { name?: string, sorted?: boolean, estimatedCount?: number | undefined } = {}
): KeySource {
  return {
    name: overrides.name ?? inner.name,
    sorted: overrides.sorted ?? inner.sorted,
    estimatedCount: 'estimatedCount' in overrides ? overrides.estimatedCount : inner.estimatedCount,
    get scanStartedAt () { return inner.scanStartedAt },
    get scanBasis () { return inner.scanBasis },
    get unlisted () { return inner.unlisted },
    [Symbol.asyncIterator]: () => batches()[Symbol.asyncIterator]()
  }
}
