import { KeydiffError, SinkError, SourceError, type KeydiffErrorOptions } from '@keydiff/core'
import { errorMessage, errorName, httpStatus } from './retry.ts'

const NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound', 'ENOENT'])

// The endpoint never answered (the client's connection or socket timeout, on each of its
// maxAttempts), refused the connection, or its name did not resolve.
const UNREACHABLE = new Set(['TimeoutError', 'ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT'])

/** No response came from the endpoint at all: no HTTP status, and a timeout or a connection refused. */
export function isUnreachable (error: unknown): boolean {
  if (typeof error !== 'object' || error === null || httpStatus(error) !== undefined) return false
  return UNREACHABLE.has(errorName(error)) || UNREACHABLE.has((error as { name?: unknown }).name as string)
}

/**
 * A listing or read of the store failed (after its retries); names the place, the page and
 * the store's error. `where` names the endpoint, so an unreachable one is a
 * KEYDIFF_CONNECTION_FAILED that says where it was looked for; a missing bucket or key is
 * KEYDIFF_SOURCE_NOT_FOUND.
 */
export function s3SourceError (source: string, where: string, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const code = NOT_FOUND.has(errorName(error)) ? 'KEYDIFF_SOURCE_NOT_FOUND' : isUnreachable(error) ? 'KEYDIFF_CONNECTION_FAILED' : 'KEYDIFF_SOURCE_FAILED'
  return new SourceError(source, `${where} failed: ${errorMessage(error)}`, { code, cause: error })
}

/**
 * @deprecated since 0.2: the sinks throw core's `SinkError` (`adapter` 's3', `target` the
 * sink's name, which `sink` used to hold). Kept for one release as SinkError itself, so
 * `instanceof S3SinkError` still holds for what the sinks throw.
 */
export const S3SinkError = SinkError
/** @deprecated since 0.2: core's `SinkError`. */
export type S3SinkError = SinkError

/** An S3 Inventory report that cannot be used: a manifest without the needed fields, a format not read, a file whose checksum differs. */
export class InventoryError extends KeydiffError {
  readonly manifest: string

  constructor (manifest: string, message: string, options: KeydiffErrorOptions & { code?: 'KEYDIFF_PARSE_ERROR' | 'KEYDIFF_SOURCE_FAILED' | 'KEYDIFF_SOURCE_NOT_FOUND' } = {}) {
    super(`[s3] inventory ${manifest}: ${message}`, options.code ?? 'KEYDIFF_PARSE_ERROR', options)
    this.name = 'InventoryError'
    this.manifest = manifest
  }
}
