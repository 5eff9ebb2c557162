import { retry } from '@keydiff/core/adapter'

export interface RetryOptions {
  /** Further attempts after the first. */
  retries: number
  /** First backoff; each next one doubles, with jitter (core's `backoffDelay`). */
  baseDelayMs: number
  signal?: AbortSignal | undefined
}

const RETRYABLE_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestTimeout',
  'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'TimeoutError', 'OperationAborted'
])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])

/** The store's name for an error (`SlowDown`, `NoSuchKey`), or the network error code. */
export function errorName (error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const { Code, code, name } = error as { Code?: unknown, code?: unknown, name?: unknown }
  if (typeof Code === 'string') return Code
  if (typeof code === 'string') return code
  return typeof name === 'string' ? name : 'Error'
}

export function httpStatus (error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode
}

/** Throttling (503 SlowDown), server errors and dropped connections may pass on a retry; the rest will not. */
export function isRetryable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false
  // A request that timed out with no response was already retried by the client (its
  // maxAttempts); retrying it here too would multiply the time a silent endpoint holds a run.
  // The SDK names a dropped connection (ECONNRESET, EPIPE) TimeoutError too: that one is retried.
  const code = (error as { code?: unknown }).code
  if ((error as { name?: unknown }).name === 'TimeoutError' && httpStatus(error) === undefined && code !== 'ECONNRESET' && code !== 'EPIPE') return false
  const name = errorName(error)
  if (RETRYABLE_NAMES.has(name) || RETRYABLE_CODES.has(name)) return true
  const status = httpStatus(error)
  if (status !== undefined) return status >= 500 || status === 429
  const message = (error as { message?: unknown }).message
  return typeof message === 'string' && /socket hang up|ECONNRESET|other side closed/i.test(message)
}

export function errorMessage (error: unknown): string {
  const name = errorName(error)
  const message = error instanceof Error ? error.message : String(error)
  return message.length === 0 || message === name ? name : `${name}: ${message}`
}

/** Runs `fn`, retrying what `isRetryable` accepts, on core's backoff schedule. */
export async function withRetry<T> (fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  return await retry(fn, { retries: options.retries, retryDelay: options.baseDelayMs, signal: options.signal, isRetryable })
}
