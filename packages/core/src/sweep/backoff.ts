import { setTimeout as sleep } from 'node:timers/promises'

export interface BackoffOptions {
  /** Tries after the first. @default 4 */
  retries?: number
  /** Delay before the first retry, in ms; doubled for each next one. @default 250 */
  retryDelay?: number
  /** Longest delay between tries, in ms. @default 30000 */
  maxRetryDelay?: number
}

/** The delay before retry number `attempt` (1-based): exponential, capped, with ±25% jitter so parallel batches spread out. */
export function backoffDelay (attempt: number, options: BackoffOptions): number {
  const base = options.retryDelay ?? 250
  const cap = options.maxRetryDelay ?? 30_000
  const delay = Math.min(cap, base * 2 ** (attempt - 1))
  return Math.round(delay * (0.75 + Math.random() * 0.5))
}

/** Waits, unless the signal aborts first (then it returns early and the caller checks the signal). */
export async function wait (ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return
  await sleep(ms, undefined, { signal }).catch(() => {})
}
