import type { S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry, Sink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { deleteObjects } from './delete-objects.ts'
import { s3Url } from './location.ts'
import { uniqueKeys } from './per-key.ts'
import { nonNegativeInteger } from './check-options.ts'

export interface S3DeleteSinkOptions {
  /** Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** Retries of the request and of keys that failed with a transient error. @default 5 */
  retries?: number
  /** First retry delay; doubles each time, with jitter. @default 200 */
  retryDelayMs?: number
}

/** Deletes the orphans with DeleteObjects, 1,000 keys a request. */
export function s3DeleteSink (options: S3DeleteSinkOptions): Sink {
  const name = `delete:${s3Url(options.bucket)}`
  const context = {
    client: options.client,
    bucket: options.bucket,
    sink: name,
    retries: nonNegativeInteger(options.retries ?? 5, 'retries'),
    retryDelayMs: nonNegativeInteger(options.retryDelayMs ?? 200, 'retryDelayMs')
  }
  return {
    name,
    action: 'delete',
    maxBatch: 1000,
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const keys = uniqueKeys(batch)
      if (keys.length > 1000) throw new RangeError(`${name}: a batch holds at most 1000 keys, got ${keys.length}`)
      if (keys.length === 0) return []
      const outcomes = await deleteObjects(context, keys, applyOptions.signal)
      return keys.map(key => outcomes.get(key) ?? { key, ok: false, error: 'no outcome', retryable: true })
    }
  }
}
