import type { KeyEntry, SinkOutcome } from '@keydiff/core'
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


/** The batch's entries, the first of each key, in order. */
export function uniqueEntries (batch: readonly KeyEntry[]): KeyEntry[] {
  const byKey = new Map<string, KeyEntry>()
  for (const entry of batch) if (!byKey.has(entry.key)) byKey.set(entry.key, entry)
  return [...byKey.values()]
}

export function failed (key: string, error: unknown): SinkOutcome {
  return { key, ok: false, error: errorMessage(error), retryable: isRetryable(error) }
}

export function succeeded (key: string): SinkOutcome {
  return { key, ok: true }
}
