import type { Bucket } from '@google-cloud/storage'
import { AbortError, ConnectionError } from '@keydiff/core'
import { retry } from '@keydiff/core/adapter'

/** One JSON API call relative to the bucket (`/o`, `/o/<name>`), through the user's client. */
export interface GcsCall {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE'
  /** Path under `/b/<bucket>`, already encoded. */
  uri: string
  qs?: Record<string, string | number | boolean | undefined>
  json?: Record<string, unknown>
}

/** What went wrong in a call, in the API's own terms. */
export interface GcsFailure {
  /** HTTP status; 0 when no response came (network, timeout). */
  status: number
  /** The API's reason (`notFound`, `conditionNotMet`, `forbidden`, ...) or the error's code. */
  reason: string
  message: string
  /** Throttling, server errors and lost connections may pass when tried again. */
  retryable: boolean
  /**
   * No answer came in the client's `timeout`, or no connection could be made: the client has
   * already retried it under its `retryOptions`, so it is not tried again on top of that.
   */
  unreachable?: boolean
}

// node-fetch's and Node's names for an endpoint that is silent, refuses, or cannot be found.
const UNREACHABLE_CODES = new Set(['ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])

export function encodeName (name: string): string {
  return encodeURIComponent(name)
}

export function objectUri (name: string): string {
  return `/o/${encodeName(name)}`
}

/** Reads status and reason from an ApiError of the client (or anything else thrown). */
export function failureOf (error: unknown): GcsFailure {
  const e = error as { code?: unknown, message?: unknown, type?: unknown, errors?: Array<{ reason?: unknown }> }
  const message = typeof e?.message === 'string' ? e.message : String(error)
  const status = typeof e?.code === 'number' ? e.code : 0
  const reason = typeof e?.errors?.[0]?.reason === 'string'
    ? e.errors[0].reason
    : typeof e?.code === 'string' ? e.code : status === 0 ? 'networkError' : `http${status}`
  const unreachable = status === 0 && (e?.type === 'request-timeout' || (typeof e?.code === 'string' && UNREACHABLE_CODES.has(e.code)) || /network timeout|ECONNREFUSED|ENOTFOUND/.test(message))
  return { status, reason, message, retryable: !unreachable && (status === 0 || status === 408 || status === 429 || status >= 500), unreachable }
}

/** A ConnectionError naming the bucket's API endpoint when `error` says it could not be reached, else undefined. */
export function connectionFailure (bucket: Bucket, where: string, error: unknown): ConnectionError | undefined {
  const failure = failureOf(error)
  if (failure.unreachable !== true) return undefined
  const endpoint = (bucket.storage as { apiEndpoint?: string } | undefined)?.apiEndpoint ?? 'https://storage.googleapis.com'
  return new ConnectionError(`${where}: ${describeFailure(failure)}`, { adapter: 'gcs', target: endpoint, cause: error })
}

export function describeFailure (failure: GcsFailure): string {
  return `${failure.status === 0 ? '' : `${failure.status} `}${failure.reason}: ${failure.message}`
}

export function checkSignal (signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new AbortError('the operation was aborted', { cause: signal.reason })
}

export async function call<T = Record<string, unknown>> (bucket: Bucket, request: GcsCall): Promise<T> {
  const qs: Record<string, string | number | boolean> = {}
  for (const [key, value] of Object.entries(request.qs ?? {})) if (value !== undefined) qs[key] = value
  const [body] = await bucket.request({
    method: request.method ?? 'GET',
    uri: request.uri,
    qs,
    ...(request.json === undefined ? {} : { json: request.json })
  })
  return (body ?? {}) as T
}

/** Calls the API, retrying what may pass on a second try with exponential backoff. */
export async function callWithRetries<T = Record<string, unknown>> (bucket: Bucket, request: GcsCall, options: { retries: number, retryDelay: number, maxRetryDelay?: number, signal?: AbortSignal | undefined }): Promise<T> {
  return await retry(async () => await call<T>(bucket, request), { ...options, isRetryable: error => failureOf(error).retryable })
}
