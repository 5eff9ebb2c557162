import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import type { SourceCapabilities } from '../contracts/source-capabilities.ts'
import type { BatchIterable, KeyBatch } from './key-entry.ts'

export interface KeySourceInit {
  name: string
  sorted?: boolean
  estimatedCount?: number | undefined
  /** Called when iteration starts; the source's `scanStartedAt` is then set. */
  scanStartedAt?: () => Date
  /** What the source's store holds and its entries carry. @default undefined (nothing declared) */
  supports?: SourceCapabilities
}

/** Gives any batch iterable the KeySource shape; records the scan start on first pull. */
export function keySource (batches: BatchIterable | (() => BatchIterable), init: KeySourceInit): KeySource {
  const open = typeof batches === 'function' ? batches : () => batches
  const source = {
    name: init.name,
    sorted: init.sorted ?? false,
    estimatedCount: init.estimatedCount,
    supports: init.supports,
    scanStartedAt: undefined as Date | undefined,
    async * [Symbol.asyncIterator] (): AsyncGenerator<KeyBatch> {
      source.scanStartedAt = init.scanStartedAt?.() ?? new Date()
      yield * open()
    }
  }
  return source
}

export function isKeySource (value: unknown): value is KeySource {
  return typeof value === 'object' && value !== null &&
    typeof (value as KeySource).name === 'string' &&
    typeof (value as KeySource).sorted === 'boolean' &&
    typeof (value as KeySource)[Symbol.asyncIterator] === 'function'
}

let anonymous = 0

/** Normalises a KeySourceLike: a plain iterable becomes an unsorted source named `iterable#N`. */
export function toKeySource (value: KeySourceLike, name?: string): KeySource {
  if (isKeySource(value)) return value
  if (value === null || typeof value !== 'object' ||
    (typeof (value as AsyncIterable<KeyBatch>)[Symbol.asyncIterator] !== 'function' &&
      typeof (value as Iterable<KeyBatch>)[Symbol.iterator] !== 'function')) {
    throw new TypeError('a key source must be an iterable or async iterable of batches')
  }
  return keySource(value, { name: name ?? `iterable#${++anonymous}` })
}
