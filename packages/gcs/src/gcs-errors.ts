import { KeydiffError } from '@keydiff/core'
import type { KeydiffErrorOptions } from '@keydiff/core'

/** A whole sink batch could not be acted on (the bucket is missing or unreachable). */
export class GcsSinkError extends KeydiffError {
  /** The sink's name, such as `delete:gs://bucket`. */
  readonly sink: string

  constructor (sink: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`${sink}: ${message}`, 'KEYDIFF_SINK_FAILED', options)
    this.name = 'GcsSinkError'
    this.sink = sink
  }
}

/** The API endpoint did not answer (the client's `timeout` expired on every attempt) or refused the connection; names the endpoint. */
export class GcsConnectionError extends KeydiffError {
  /** The API endpoint, such as `https://storage.googleapis.com`. */
  readonly endpoint: string

  constructor (endpoint: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`[gcs] ${endpoint}: ${message}`, 'KEYDIFF_CONNECTION_FAILED', options)
    this.name = 'GcsConnectionError'
    this.endpoint = endpoint
  }
}
