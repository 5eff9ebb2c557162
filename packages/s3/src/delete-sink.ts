import type { ObjectIdentifier, S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry, Sink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { bucketCheck } from './bucket-check.ts'
import { optionChecks } from './check-options.ts'
import { deleteObjects } from './delete-objects.ts'
import { s3Target, s3Url } from './location.ts'
import { mapLimit, uniqueEntries } from './per-key.ts'
import { checkable } from './plan-check.ts'
import { findPlanned, plannedIdentifier } from './planned-object.ts'
import type { RetrySettings } from './retry.ts'
import { sinkSettings } from './sink-settings.ts'

export interface S3DeleteSinkOptions extends RetrySettings {
  /** Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /**
   * Act only on the object the plan recorded: right before each batch, HeadObject every key
   * (with `If-Match` on the plan's ETag) and leave alone, as a failed outcome, an object whose
   * ETag, size or modification time differs; then delete the version found (versioned bucket)
   * or on the ETag found (S3's conditional delete). @default true
   */
  checkUnchanged?: boolean
  /** HeadObject checks in flight at once. @default 16 */
  concurrency?: number
}

/**
 * Deletes the orphans with DeleteObjects, 1,000 keys a request, each only if it is still the
 * object the plan recorded. On a versioned bucket the planned version itself is removed
 * (for good: no delete marker), so a version written after the plan is never hidden.
 */
export function s3DeleteSink (options: S3DeleteSinkOptions): Sink {
  const checks = optionChecks('@keydiff/s3', 's3DeleteSink', options)
  const { client, bucket } = s3Target(checks, options)
  const name = `delete:${s3Url(bucket)}`
  const { retry, concurrency, checkUnchanged } = sinkSettings(checks, options)
  const context = { client, bucket, sink: name, retry }
  const bucketExists = bucketCheck(client, bucket, name)
  return {
    name,
    action: 'delete',
    supports: { changed: checkUnchanged },
    maxBatch: 1000,
    store: s3Url(bucket),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch, 1000, name)
      if (entries.length === 0) return []
      const signal = applyOptions.signal
      const outcomes = new Map<string, SinkOutcome>()
      const found = await mapLimit(entries, concurrency, async (entry): Promise<ObjectIdentifier | undefined> => {
        if (!checkUnchanged || !checkable(entry)) return { Key: entry.key }
        const planned = await findPlanned(context.client, context.bucket, entry, retry, bucketExists, signal)
        if (planned.state === 'gone') outcomes.set(entry.key, { key: entry.key, ok: true })
        if (planned.state === 'refused') outcomes.set(entry.key, planned.outcome)
        if (planned.state !== 'same') return undefined
        return plannedIdentifier(entry.key, planned)
      }, signal)
      const objects = found.filter(object => object !== undefined)
      if (objects.length > 0) for (const [key, outcome] of await deleteObjects(context, objects, signal)) outcomes.set(key, outcome)
      return entries.map(({ key }) => outcomes.get(key) ?? { key, ok: false, error: 'no outcome', retryable: true })
    }
  }
}
