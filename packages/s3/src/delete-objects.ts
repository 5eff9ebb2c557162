import { DeleteObjectsCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3'
import type { SinkOutcome } from '@keydiff/core'
import { S3SinkError } from './errors.ts'
import { backoffDelay, sleep } from '@keydiff/core/adapter'
import { bareEtag, changedOutcome } from './planned-object.ts'
import { errorMessage, withRetry } from './retry.ts'

const RETRYABLE_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted'])

export interface DeleteObjectsContext {
  readonly client: S3Client
  readonly bucket: string
  readonly sink: string
  readonly retries: number
  readonly retryDelayMs: number
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
      }), { abortSignal: signal }), { retries: context.retries, baseDelayMs: context.retryDelayMs, signal })
      errors = output.Errors ?? []
    } catch (error) {
      throw new S3SinkError(context.sink, `DeleteObjects of ${pending.length} keys failed: ${errorMessage(error)}`, { cause: error })
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
      const retryable = RETRYABLE_KEY_ERRORS.has(error.Code ?? '')
      outcomes.set(key, { key, ok: false, error: `${error.Code ?? 'Error'}: ${error.Message ?? 'no message'}`, retryable })
      if (retryable) again.push(object)
    }
    if (again.length === 0 || attempt >= context.retries) break
    await sleep(backoffDelay(attempt + 1, { retryDelay: context.retryDelayMs }), signal)
    pending = again
  }
  return outcomes
}
