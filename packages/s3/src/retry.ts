import { retry } from '@keydiff/core/adapter'
import type { OptionChecks } from './check-options.ts'

/** The retry options of every S3-family factory (the shared option vocabulary). */
export interface RetrySettings {
  /**
   * Retries of a request, and of keys that failed with a transient error (throttling such as
   * 503 SlowDown, server errors, dropped connections), on top of the client's own. @default 5
   */
  retries?: number
  /** First retry delay in ms; doubles each time, with jitter. @default 200 */
  retryDelay?: number
  /** @deprecated since 0.2: use `retryDelay` (the same value); removed in the next release. */
  retryDelayMs?: number
  /** Longest delay between two tries, in ms. @default 30000 */
  maxRetryDelay?: number
}

export interface RetryOptions {
  /** Further attempts after the first. */
  retries: number
  /** First backoff; each next one doubles, with jitter (core's `backoffDelay`). */
  retryDelay: number
  /** Longest backoff. @default 30000 */
  maxRetryDelay?: number | undefined
  signal?: AbortSignal | undefined
}

/** The checked retry options of a factory, `retryDelayMs` read as `retryDelay`. */
export function retryOptions (check: OptionChecks, settings: RetrySettings): RetryOptions {
  return {
    retries: check.nonNegativeInteger('retries', settings.retries, 5),
    retryDelay: check.nonNegativeInteger('retryDelay', check.renamed('retryDelay', settings.retryDelay, 'retryDelayMs', settings.retryDelayMs), 200),
    maxRetryDelay: check.positiveInteger('maxRetryDelay', settings.maxRetryDelay, 30_000)
  }
}

const RETRYABLE_NAMES = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequestsException', 'RequestTimeout',
  'RequestTimeoutException', 'InternalError', 'ServiceUnavailable', 'TimeoutError', 'OperationAborted'
])
const RETRYABLE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])
// What DeleteObjects reports for a single key that may pass when sent again.
const RETRYABLE_KEY_CODES = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted'])

/** The store's name for an error (`SlowDown`, `NoSuchKey`), or the network error code. */
export function errorName (error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error)
  const { Code, code, name } = error as { Code?: unknown, code?: unknown, name?: unknown }
  if (typeof Code === 'string') return Code
  if (typeof code === 'string') return code
  return typeof name === 'string' ? name : 'Error'
}

/** The HTTP status of an AWS SDK error (`$metadata.httpStatusCode`); undefined when no response came. */
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

/** Whether a key that a DeleteObjects response reports failed with this code may pass when sent again. */
export function isRetryableKeyError (code: string | undefined): boolean {
  return RETRYABLE_KEY_CODES.has(code ?? '')
}

/** `Name: message` of an error, or its name alone when the message says no more. */
export function errorMessage (error: unknown): string {
  const name = errorName(error)
  const message = error instanceof Error ? error.message : String(error)
  return message.length === 0 || message === name ? name : `${name}: ${message}`
}

/** Runs `fn`, retrying what `isRetryable` accepts, on core's backoff schedule. */
export async function withRetry<T> (fn: () => Promise<T>, options: RetryOptions): Promise<T> {
  return await retry(fn, { ...options, isRetryable })
}
