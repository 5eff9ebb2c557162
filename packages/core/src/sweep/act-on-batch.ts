import type { PointLookup } from '../contracts/point-lookup.ts'
import type { SinkOutcome } from '../contracts/sink.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { backoffDelay, wait, type BackoffOptions } from './backoff.ts'

export interface BatchResult {
  done: KeyEntry[]
  failed: Array<{ entry: KeyEntry, error: string, attempts: number }>
  dropped: Array<{ entry: KeyEntry, referencedBy: string }>
}

export interface ActOptions extends BackoffOptions {
  act: (batch: readonly KeyEntry[], signal?: AbortSignal) => Promise<SinkOutcome[]>
  recheck: readonly PointLookup[]
  /** Told how many keys the first re-check of the batch looked up, before they are acted on. */
  onRechecked?: ((count: number) => void) | undefined
  signal?: AbortSignal | undefined
}

function message (error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** Which keys of the batch are referenced now, by which source; throws when a look-up fails. */
async function referenced (lookups: readonly PointLookup[], entries: readonly KeyEntry[]): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  const keys = entries.map(entry => entry.key)
  for (const lookup of lookups) {
    const hits = await lookup.has(keys)
    for (const key of keys) if (hits.has(key) && !found.has(key)) found.set(key, lookup.name)
  }
  return found
}

/**
 * Acts on one batch: re-checks its keys, acts on those still unreferenced, and retries the
 * keys that failed with exponential backoff (re-checking them again first, since a key may
 * become referenced while it waits). A key is done only on an ok outcome; a missing
 * outcome, a thrown batch or a failed re-check are failures, never successes.
 */
export async function actOnBatch (entries: readonly KeyEntry[], options: ActOptions): Promise<BatchResult> {
  const result: BatchResult = { done: [], failed: [], dropped: [] }
  const retries = options.retries ?? 4
  let pending = [...new Map(entries.map(entry => [entry.key, entry])).values()]
  for (let attempt = 1; pending.length > 0; attempt++) {
    if (attempt > 1 && options.signal?.aborted === true) {
      for (const entry of pending) result.failed.push({ entry, error: 'aborted before it could be retried', attempts: attempt - 1 })
      break
    }
    const last = attempt > retries
    let outcomes: Map<string, SinkOutcome> | undefined
    try {
      const hits = await referenced(options.recheck, pending)
      if (attempt === 1 && options.recheck.length > 0) options.onRechecked?.(pending.length)
      if (hits.size > 0) {
        for (const entry of pending) {
          const by = hits.get(entry.key)
          if (by !== undefined) result.dropped.push({ entry, referencedBy: by })
        }
        pending = pending.filter(entry => !hits.has(entry.key))
        if (pending.length === 0) break
      }
    } catch (error) {
      outcomes = new Map(pending.map(entry => [entry.key, { key: entry.key, ok: false, error: `re-check failed, not acted on: ${message(error)}` }]))
    }
    outcomes ??= await options.act(pending, options.signal).then(
      list => new Map(list.map(outcome => [outcome.key, outcome])),
      (error: unknown) => new Map(pending.map(entry => [entry.key, { key: entry.key, ok: false, error: `the whole batch failed: ${message(error)}` }]))
    )
    const retry: KeyEntry[] = []
    for (const entry of pending) {
      const outcome = outcomes.get(entry.key)
      if (outcome?.ok === true) result.done.push(entry)
      else if (!last && outcome?.retryable !== false) retry.push(entry)
      else result.failed.push({ entry, error: outcome?.error ?? 'the sink reported no outcome for this key', attempts: attempt })
    }
    pending = retry
    if (pending.length > 0) await wait(backoffDelay(attempt, options), options.signal)
  }
  return result
}
