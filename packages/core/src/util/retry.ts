import { AbortError } from '../errors.ts'
import { backoffDelay, type BackoffOptions } from '../sweep/backoff.ts'

export interface RetryOptions extends BackoffOptions {
  /** Whether a failure may pass on another try (throttling, a lost connection). Required. */
  isRetryable: (error: unknown) => boolean
  signal?: AbortSignal | undefined
}

/**
 * Runs `fn`, retrying the failures `isRetryable` accepts with exponential backoff and jitter
 * (the same schedule as the sweep's per-key retries). The last failure is thrown as it is, so
 * the caller can name the store's own error; an abort throws AbortError.
 */
export async function retry<T> (fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const retries = options.retries ?? 4
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted === true) throw new AbortError(undefined, { cause: options.signal.reason })
    try {
      return await fn(attempt)
    } catch (error) {
      if (attempt >= retries || !options.isRetryable(error)) throw error
      await sleep(backoffDelay(attempt + 1, options), options.signal)
    }
  }
}

/** Waits `ms`, or throws AbortError as soon as the signal fires. */
export async function sleep (ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) throw new AbortError(undefined, { cause: signal.reason })
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
