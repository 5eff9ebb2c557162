import type { Client } from 'minio'
import { SinkError, type KeyEntry, type SinkOutcome } from '@keydiff/core'
import { changedOutcome, changedSince, errorMessage, errorName, failed, withRetry, type RetryOptions } from '@keydiff/s3/adapter'

/** What a statObject found of the object a plan recorded. */
export type PlannedObject =
  /** Still the planned object; `versionId` is set on a versioned bucket (the version to act on). */
  | { readonly state: 'same', readonly versionId: string | undefined }
  | { readonly state: 'gone' }
  /** Changed since the plan, or the check itself failed: `outcome` is what to report. */
  | { readonly state: 'refused', readonly outcome: SinkOutcome }

/**
 * Confirms, once per sink, that the bucket exists: a stat in a missing bucket is the same bare
 * 404 as a missing object, which a sink would count as done. Asked only when an object is gone.
 */
export function bucketCheck (client: Client, bucket: string, sink: string): () => Promise<void> {
  let checked: Promise<void> | undefined
  const check = async (): Promise<void> => {
    let found: boolean
    try {
      found = await client.bucketExists(bucket)
    } catch (error) {
      checked = undefined
      throw new SinkError(`bucket ${bucket} cannot be read: ${errorMessage(error)}`, { adapter: 'minio', target: sink, cause: error })
    }
    if (!found) throw new SinkError(`bucket ${bucket} does not exist`, { adapter: 'minio', target: sink })
  }
  return async () => {
    checked ??= check()
    await checked
  }
}

/**
 * Reads the object the plan recorded right before acting on it (statObject: the minio client
 * sends no `If-Match` on it) and compares its ETag, size and time with the plan's entry.
 */
export async function findPlanned (client: Client, bucket: string, entry: KeyEntry, retry: Omit<RetryOptions, 'signal'>, confirmGone: () => Promise<void>, signal?: AbortSignal): Promise<PlannedObject> {
  try {
    const stat = await withRetry(async () => await client.statObject(bucket, entry.key), { ...retry, signal })
    const why = changedSince(entry, stat)
    if (why !== undefined) return { state: 'refused', outcome: changedOutcome(entry.key, why) }
    return { state: 'same', versionId: stat.versionId ?? undefined }
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
      await confirmGone()
      return { state: 'gone' }
    }
    return { state: 'refused', outcome: failed(entry.key, error) }
  }
}
