import type { Client } from 'minio'
import { SinkError, type KeyEntry, type SinkOutcome } from '@keydiff/core'
import { errorMessage, errorName, isRetryable, withRetry, type RetryOptions } from './retry.ts'

/** What a statObject found of the object a plan recorded. */
export type PlannedObject =
  /** Still the planned object; `versionId` is set on a versioned bucket (the version to act on). */
  | { readonly state: 'same', readonly versionId: string | undefined }
  | { readonly state: 'gone' }
  /** Changed since the plan, or the check itself failed: `outcome` is what to report. */
  | { readonly state: 'refused', readonly outcome: SinkOutcome }

const bare = (etag: string): string => etag.replaceAll('"', '')

/**
 * Why the object no longer is the one the plan recorded, or undefined. Each of ETag, size and
 * modification time is compared when both sides have it; HTTP dates carry whole seconds and
 * are never later than the write, so only a truly later time counts.
 */
export function changedSince (entry: KeyEntry, current: { etag?: string | undefined, size?: number | undefined, lastModified?: Date | undefined }): string | undefined {
  if (entry.version !== undefined && current.etag !== undefined && bare(entry.version) !== bare(current.etag)) {
    return `its ETag is ${bare(current.etag)}, the plan's is ${bare(entry.version)}`
  }
  if (entry.size !== undefined && current.size !== undefined && entry.size !== current.size) {
    return `size changed from ${entry.size} to ${current.size} bytes`
  }
  if (entry.lastModified !== undefined && current.lastModified !== undefined && current.lastModified.getTime() > entry.lastModified.getTime()) {
    return `modified at ${current.lastModified.toISOString()}, after the plan's ${entry.lastModified.toISOString()}`
  }
  return undefined
}

/** The batch's entries, the first of each key, in order: a sink gives one outcome per key. */
export function uniqueEntries (batch: readonly KeyEntry[]): KeyEntry[] {
  const byKey = new Map<string, KeyEntry>()
  for (const entry of batch) if (!byKey.has(entry.key)) byKey.set(entry.key, entry)
  return [...byKey.values()]
}

/** Whether the entry carries anything a check can compare. */
export function checkable (entry: KeyEntry): boolean {
  return entry.version !== undefined || entry.size !== undefined || entry.lastModified !== undefined
}

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
    if (why !== undefined) return { state: 'refused', outcome: { key: entry.key, ok: false, error: `changed since the plan: ${why}; left as it is`, retryable: false } }
    return { state: 'same', versionId: stat.versionId ?? undefined }
  } catch (error) {
    if (errorName(error) === 'NotFound' || errorName(error) === 'NoSuchKey') {
      await confirmGone()
      return { state: 'gone' }
    }
    return { state: 'refused', outcome: { key: entry.key, ok: false, error: errorMessage(error), retryable: isRetryable(error) } }
  }
}
