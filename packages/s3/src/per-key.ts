import { InvalidOptionError, type KeyEntry, type SinkOutcome } from '@keydiff/core'
import { errorMessage, isRetryable } from './retry.ts'

/** Runs `fn` over `items`, `concurrency` at a time, keeping the order of the results. */
export async function mapLimit<T, R> (items: readonly T[], concurrency: number, fn: (item: T) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      signal?.throwIfAborted()
      const index = next++
      results[index] = await fn(items[index] as T)
    }
  }))
  return results
}

/**
 * The batch's entries, the first of each key, in order: a sink gives one outcome per key.
 * More than `maxBatch` of them is an InvalidOptionError (the sink's `maxBatch` was not kept).
 */
export function uniqueEntries (batch: readonly KeyEntry[], maxBatch = Infinity, sink = 'the sink'): KeyEntry[] {
  const byKey = new Map<string, KeyEntry>()
  for (const entry of batch) if (!byKey.has(entry.key)) byKey.set(entry.key, entry)
  if (byKey.size > maxBatch) throw new InvalidOptionError('batch', `${sink} takes at most ${maxBatch} keys per call, got ${byKey.size}`)
  return [...byKey.values()]
}

/** The outcome of a key whose request failed: retryable when the error may pass on another try. */
export function failed (key: string, error: unknown): SinkOutcome {
  return { key, ok: false, error: errorMessage(error), retryable: isRetryable(error) }
}

export function succeeded (key: string): SinkOutcome {
  return { key, ok: true }
}
