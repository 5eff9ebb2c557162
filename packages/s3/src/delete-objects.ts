import { DeleteObjectsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3'
import { SinkError, type SinkOutcome } from '@keydiff/core'
import { backoffDelay, sleep } from '@keydiff/core/adapter'
import { bareEtag, changedOutcome } from './plan-check.ts'
import { errorMessage, isRetryableKeyError, withRetry, type RetryOptions } from './retry.ts'

export interface DeleteObjectsContext {
  readonly client: S3Client
  readonly bucket: string
  readonly sink: string
  readonly retry: RetryOptions
}

/**
 * Deletes up to 1,000 objects with DeleteObjects (Quiet: only failures come back), each named
 * by key and, to act only on what the plan saw, by the version to remove (a versioned bucket)
 * or the ETag it must still have (S3's conditional delete; a store that does not know the
 * element ignores it). Keys that the response reports failed with a transient error are sent
 * again with backoff; a failed precondition is a change since the plan; the rest of the
 * failures are reported. Deleting a key that is already gone is a success in S3.
 */
export async function deleteObjects (context: DeleteObjectsContext, objects: readonly ObjectIdentifier[], signal?: AbortSignal): Promise<Map<string, SinkOutcome>> {
  const outcomes = new Map<string, SinkOutcome>()
  let pending = [...objects]
  for (let attempt = 0; pending.length > 0; attempt++) {
    let errors
    try {
      const output = await withRetry(async () => await context.client.send(new DeleteObjectsCommand({
        Bucket: context.bucket,
        Delete: { Objects: pending, Quiet: true }
      }), { abortSignal: signal }), { ...context.retry, signal })
      errors = output.Errors ?? []
    } catch (error) {
      throw new SinkError(`DeleteObjects of ${pending.length} keys failed: ${errorMessage(error)}`, { adapter: 's3', target: context.sink, cause: error })
    }
    const byKey = new Map(errors.filter(error => error.Key !== undefined).map(error => [error.Key as string, error]))
    const again: ObjectIdentifier[] = []
    for (const object of pending) {
      const key = object.Key as string
      const error = byKey.get(key)
      if (error === undefined || error.Code === 'NoSuchKey') {
        outcomes.set(key, { key, ok: true })
        continue
      }
      if (error.Code === 'PreconditionFailed') {
        outcomes.set(key, changedOutcome(key, `its ETag is no longer ${bareEtag(object.ETag ?? '?')} (the store refused the conditional delete)`))
        continue
      }
      const retryable = isRetryableKeyError(error.Code)
      outcomes.set(key, { key, ok: false, error: `${error.Code ?? 'Error'}: ${error.Message ?? 'no message'}`, retryable })
      if (retryable) again.push(object)
    }
    if (again.length === 0 || attempt >= context.retry.retries) break
    await sleep(backoffDelay(attempt + 1, context.retry), signal)
    pending = again
  }
  return outcomes
}
