import { ConnectionError, SinkError } from '@keydiff/core'
import type { KeydiffErrorOptions } from '@keydiff/core'

/** A whole sink batch could not be acted on (the bucket is missing or unreachable). */
export class GcsSinkError extends SinkError {
  /** The sink's name, such as `delete:gs://bucket`. */
  readonly sink: string

  constructor (sink: string, message: string, options: KeydiffErrorOptions = {}) {
    super(message, { ...options, adapter: 'gcs', target: sink })
    this.name = 'GcsSinkError'
    this.sink = sink
  }
}

/** The API endpoint did not answer (the client's `timeout` expired on every attempt) or refused the connection; names the endpoint. */
export class GcsConnectionError extends ConnectionError {
  /** The API endpoint, such as `https://storage.googleapis.com`. */
  readonly endpoint: string

  constructor (endpoint: string, message: string, options: KeydiffErrorOptions = {}) {
    super(message, { ...options, adapter: 'gcs', target: endpoint })
    this.name = 'GcsConnectionError'
    this.endpoint = endpoint
  }
}
