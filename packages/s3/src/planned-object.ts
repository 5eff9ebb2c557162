import { HeadObjectCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry, SinkOutcome } from '@keydiff/core'
import { failed } from './per-key.ts'
import { bareEtag, changedOutcome, changedSince, quotedEtag } from './plan-check.ts'
import { httpStatus, withRetry, type RetryOptions } from './retry.ts'

/** What a HeadObject found of the object a plan recorded. */
export type PlannedObject =
  /** Still the planned object; `versionId` is set on a versioned bucket (the version to act on). */
  | { readonly state: 'same', readonly etag: string | undefined, readonly versionId: string | undefined }
  | { readonly state: 'gone' }
  /** Changed since the plan, or the check itself failed: `outcome` is what to report. */
  | { readonly state: 'refused', readonly outcome: SinkOutcome }

/**
 * Reads the object the plan recorded right before acting on it: HeadObject with `If-Match` on
 * the plan's ETag (S3 answers 412 when it differs), and the ETag, size and time of the answer
 * compared too, for stores that ignore `If-Match` (s3rver does). `confirmGone` is asked
 * before a 404 is taken for a missing object (see `bucketCheck`).
 */
export async function findPlanned (client: S3Client, bucket: string, entry: KeyEntry, retry: Omit<RetryOptions, 'signal'>, confirmGone: (signal?: AbortSignal) => Promise<void>, signal?: AbortSignal): Promise<PlannedObject> {
  try {
    const head = await withRetry(async () => await client.send(new HeadObjectCommand({
      Bucket: bucket,
      Key: entry.key,
      IfMatch: entry.version === undefined ? undefined : quotedEtag(entry.version)
    }), { abortSignal: signal }), { ...retry, signal })
    const why = changedSince(entry, { etag: head.ETag, size: head.ContentLength, lastModified: head.LastModified })
    if (why !== undefined) return { state: 'refused', outcome: changedOutcome(entry.key, why) }
    return { state: 'same', etag: head.ETag === undefined ? entry.version : bareEtag(head.ETag), versionId: head.VersionId }
  } catch (error) {
    const status = httpStatus(error)
    if (status === 404) {
      await confirmGone(signal)
      return { state: 'gone' }
    }
    if (status === 412) return { state: 'refused', outcome: changedOutcome(entry.key, `its ETag is no longer ${bareEtag(entry.version ?? '')} (412 on If-Match)`) }
    return { state: 'refused', outcome: failed(entry.key, error) }
  }
}

/**
 * How to delete exactly the object found: by its version on a versioned bucket, else on its
 * ETag (S3's conditional delete), so that an object written after the check survives.
 */
export function plannedIdentifier (key: string, found: { readonly etag: string | undefined, readonly versionId: string | undefined }): ObjectIdentifier {
  if (found.versionId !== undefined) return { Key: key, VersionId: found.versionId }
  return found.etag === undefined ? { Key: key } : { Key: key, ETag: quotedEtag(found.etag) }
}
