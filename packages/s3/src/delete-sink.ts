import type { ObjectIdentifier, S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry, Sink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { bucketCheck } from './bucket-check.ts'
import { deleteObjects } from './delete-objects.ts'
import { s3Url } from './location.ts'
import { checkable, findPlanned, plannedIdentifier } from './planned-object.ts'
import { mapLimit, uniqueEntries } from './per-key.ts'
import { nonNegativeInteger, positiveInteger } from './check-options.ts'

export interface S3DeleteSinkOptions {
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
  /** Retries of the request and of keys that failed with a transient error. @default 5 */
  retries?: number
  /** First retry delay; doubles each time, with jitter. @default 200 */
  retryDelayMs?: number
}

/**
 * Deletes the orphans with DeleteObjects, 1,000 keys a request, each only if it is still the
 * object the plan recorded. On a versioned bucket the planned version itself is removed
 * (for good: no delete marker), so a version written after the plan is never hidden.
 */
export function s3DeleteSink (options: S3DeleteSinkOptions): Sink {
  const name = `delete:${s3Url(options.bucket)}`
  const context = {
    client: options.client,
    bucket: options.bucket,
    sink: name,
    retries: nonNegativeInteger(options.retries ?? 5, 'retries'),
    retryDelayMs: nonNegativeInteger(options.retryDelayMs ?? 200, 'retryDelayMs')
  }
  const concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency')
  const check = options.checkUnchanged ?? true
  const retry = { retries: context.retries, baseDelayMs: context.retryDelayMs }
  const bucketExists = bucketCheck(options.client, options.bucket, name)
  return {
    name,
    action: 'delete',
    maxBatch: 1000,
    store: s3Url(options.bucket),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch)
      if (entries.length > 1000) throw new RangeError(`${name}: a batch holds at most 1000 keys, got ${entries.length}`)
      if (entries.length === 0) return []
      const signal = applyOptions.signal
      const outcomes = new Map<string, SinkOutcome>()
      const found = await mapLimit(entries, concurrency, async (entry): Promise<ObjectIdentifier | undefined> => {
        if (!check || !checkable(entry)) return { Key: entry.key }
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
