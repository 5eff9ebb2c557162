import type { Client } from 'minio'
import { KeydiffError, type KeyEntry, type Sink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { backoffDelay, sleep } from '@keydiff/core'
import { errorMessage, withRetry } from './retry.ts'

export interface MinioDeleteSinkOptions {
  /** Required. */
  client: Client
  /** Required. */
  bucket: string
  /** Retries of the request and of keys that failed with a transient error. @default 5 */
  retries?: number
  /** @default 200 */
  retryDelayMs?: number
}

const RETRYABLE_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted'])

/** Deletes orphans with `removeObjects` (DeleteObjects, Quiet), 1,000 keys a request; per-key errors are retried and reported. */
export function minioDeleteSink (options: MinioDeleteSinkOptions): Sink {
  const name = `delete:minio://${options.bucket}/`
  const retries = options.retries ?? 5
  const retryDelayMs = options.retryDelayMs ?? 200
  const { client, bucket } = options
  return {
    name,
    action: 'delete',
    maxBatch: 1000,
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const keys = [...new Set(batch.map(entry => entry.key))]
      if (keys.length > 1000) throw new RangeError(`${name}: a batch holds at most 1000 keys, got ${keys.length}`)
      const outcomes = new Map<string, SinkOutcome>()
      let pending = keys
      for (let attempt = 0; pending.length > 0; attempt++) {
        let results
        try {
          results = await withRetry(async () => await client.removeObjects(bucket, pending), { retries, baseDelayMs: retryDelayMs, signal: applyOptions.signal })
        } catch (error) {
          throw new KeydiffError(`[minio] ${name}: DeleteObjects of ${pending.length} keys failed: ${errorMessage(error)}`, 'KEYDIFF_SINK_FAILED', { cause: error })
        }
        const errors = new Map<string, { Code?: string, Message?: string }>()
        for (const result of results) {
          // minio 8 returns the response's <Error> elements themselves, although its type wraps them in { Error }.
          const error = (result?.Error ?? result) as { Key?: string, Code?: string, Message?: string } | null | undefined
          if (typeof error?.Key === 'string') errors.set(error.Key, error)
        }
        const again: string[] = []
        for (const key of pending) {
          const error = errors.get(key)
          if (error === undefined) {
            outcomes.set(key, { key, ok: true })
            continue
          }
          const retryable = RETRYABLE_KEY_ERRORS.has(error.Code ?? '')
          outcomes.set(key, { key, ok: false, error: `${error.Code ?? 'Error'}: ${error.Message ?? 'no message'}`, retryable })
          if (retryable) again.push(key)
        }
        if (again.length === 0 || attempt >= retries) break
        await sleep(backoffDelay(attempt + 1, { retryDelay: retryDelayMs }), applyOptions.signal)
        pending = again
      }
      return keys.map(key => outcomes.get(key) as SinkOutcome)
    }
  }
}
