import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { keySource } from '../keys/key-source.ts'
import type { KeySource } from '../contracts/key-source.ts'

export interface ArraySourceOptions {
  /** @default 'array' */
  name?: string
  /** Declare the keys sorted in UTF-8 byte order (checked by the engine). @default false */
  sorted?: boolean
  /** @default 1000 */
  batchSize?: number
}

/**
 * Keys from an array or any iterable of keys or entries, cut into batches. The estimated
 * count is exact for arrays.
 */
export function arraySource (keys: Iterable<string | KeyEntry>, options: ArraySourceOptions = {}): KeySource {
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError('arraySource: batchSize must be a positive integer')
  return keySource(function * (): Generator<KeyBatch> {
    let batch: KeyEntry[] = []
    for (const item of keys) {
      batch.push(typeof item === 'string' ? { key: item } : item)
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
  }, {
    name: options.name ?? 'array',
    sorted: options.sorted ?? false,
    estimatedCount: Array.isArray(keys) ? keys.length : undefined,
    supports: { sizes: true, controlCharacters: true }
  })
}
