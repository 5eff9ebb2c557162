import { KeydiffError, SourceError, type KeydiffErrorOptions } from '@keydiff/core'
import { errorMessage, errorName } from './retry.ts'

const NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound', 'ENOENT'])

/** A listing or read of the store failed (after its retries); names the place, the page and the store's error. */
export function s3SourceError (source: string, where: string, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const code = NOT_FOUND.has(errorName(error)) ? 'KEYDIFF_SOURCE_NOT_FOUND' : 'KEYDIFF_SOURCE_FAILED'
  return new SourceError(source, `${where} failed: ${errorMessage(error)}`, { code, cause: error })
}

/** A whole sink batch failed (the request itself, not single keys); every key of it counts as failed. */
export class S3SinkError extends KeydiffError {
  readonly sink: string

  constructor (sink: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`[s3] ${sink}: ${message}`, 'KEYDIFF_SINK_FAILED', options)
    this.name = 'S3SinkError'
    this.sink = sink
  }
}

/** An S3 Inventory report that cannot be used: a manifest without the needed fields, a format not read, a file whose checksum differs. */
export class InventoryError extends KeydiffError {
  readonly manifest: string

  constructor (manifest: string, message: string, options: KeydiffErrorOptions & { code?: 'KEYDIFF_PARSE_ERROR' | 'KEYDIFF_SOURCE_FAILED' | 'KEYDIFF_SOURCE_NOT_FOUND' } = {}) {
    super(`[s3] inventory ${manifest}: ${message}`, options.code ?? 'KEYDIFF_PARSE_ERROR', options)
    this.name = 'InventoryError'
    this.manifest = manifest
  }
}
