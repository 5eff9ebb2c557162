import { CopyObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError, type KeyEntry, type RestorableSink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { deleteObjects } from './delete-objects.ts'
import { s3Url } from './location.ts'
import { failed, mapLimit, uniqueKeys } from './per-key.ts'
import { errorName, httpStatus, withRetry } from './retry.ts'
import { nonNegativeInteger, positiveInteger } from './check-options.ts'
import { encodeCopySource } from './url-encoding.ts'

export interface S3QuarantineSinkOptions {
  /** Required. */
  client: S3Client
  /** The bucket the orphans are in. Required. */
  bucket: string
  /** Where quarantined copies go. @default the same bucket */
  trashBucket?: string
  /** Prepended to a key to make its quarantine key. Exclude it from later listings. @default '.keydiff-trash/' */
  trashPrefix?: string
  /** Copies in flight at once. @default 16 */
  concurrency?: number
  /** @default 5 */
  retries?: number
  /** @default 200 */
  retryDelayMs?: number
}

interface Move { from: { bucket: string, key: string }, to: { bucket: string, key: string } }

/**
 * Quarantines orphans: CopyObject under a trash prefix (or into another bucket), then delete
 * the original; `restore` copies back and removes the trash copy. Objects over 5 GiB need a
 * multipart copy, which this sink does not do: they fail with the store's error.
 */
export function s3QuarantineSink (options: S3QuarantineSinkOptions): RestorableSink {
  const trashBucket = options.trashBucket ?? options.bucket
  const trashPrefix = options.trashPrefix ?? '.keydiff-trash/'
  if (trashBucket === options.bucket && trashPrefix === '') throw new InvalidOptionError('trashPrefix', 'must not be empty when the trash is the same bucket')
  const name = `quarantine:${s3Url(options.bucket)}->${s3Url(trashBucket, trashPrefix)}`
  const concurrency = positiveInteger(options.concurrency ?? 16, 'concurrency')
  const retries = nonNegativeInteger(options.retries ?? 5, 'retries')
  const retryDelayMs = nonNegativeInteger(options.retryDelayMs ?? 200, 'retryDelayMs')
  const client = options.client

  const exists = async (bucket: string, key: string, signal?: AbortSignal): Promise<boolean> => {
    try {
      await withRetry(async () => await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }), { retries, baseDelayMs: retryDelayMs, signal })
      return true
    } catch (error) {
      if (httpStatus(error) === 404) return false
      throw error
    }
  }

  /** Copies each key, then deletes the sources that were copied. A missing source whose copy exists was moved before. */
  const move = async (keys: string[], plan: (key: string) => Move, missing: string, signal?: AbortSignal): Promise<SinkOutcome[]> => {
    const copied = await mapLimit(keys, concurrency, async key => {
      const { from, to } = plan(key)
      try {
        await withRetry(async () => await client.send(new CopyObjectCommand({
          Bucket: to.bucket, Key: to.key, CopySource: encodeCopySource(from.bucket, from.key)
        }), { abortSignal: signal }), { retries, baseDelayMs: retryDelayMs, signal })
        return { key, copied: true } as const
      } catch (error) {
        const gone = errorName(error) === 'NoSuchKey' || httpStatus(error) === 404
        if (gone && await exists(to.bucket, to.key, signal).catch(() => false)) return { key, done: true } as const
        return { key, outcome: gone ? { key, ok: false, error: `NoSuchKey: ${missing}`, retryable: false } : failed(key, error) } as const
      }
    }, signal)
    const outcomes = new Map<string, SinkOutcome>()
    const toDelete: string[] = []
    for (const result of copied) {
      if ('copied' in result) toDelete.push(result.key)
      else if ('done' in result) outcomes.set(result.key, { key: result.key, ok: true })
      else outcomes.set(result.key, result.outcome)
    }
    if (toDelete.length > 0) {
      const sourceBucket = plan(toDelete[0] as string).from.bucket
      const deleted = await deleteObjects({ client, bucket: sourceBucket, sink: name, retries, retryDelayMs }, toDelete.map(key => plan(key).from.key), signal)
      for (const key of toDelete) {
        const outcome = deleted.get(plan(key).from.key)
        outcomes.set(key, outcome === undefined ? { key, ok: false, error: 'no outcome' } : { ...outcome, key })
      }
    }
    return keys.map(key => outcomes.get(key) as SinkOutcome)
  }

  const check = (batch: readonly KeyEntry[]): string[] => {
    const keys = uniqueKeys(batch)
    if (keys.length > 1000) throw new RangeError(`${name}: a batch holds at most 1000 keys, got ${keys.length}`)
    return keys
  }

  return {
    name,
    action: 'quarantine',
    maxBatch: 1000,
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const keys = check(batch)
      if (keys.length === 0) return []
      return await move(keys, key => ({ from: { bucket: options.bucket, key }, to: { bucket: trashBucket, key: trashPrefix + key } }), 'the object is gone and has no quarantined copy', applyOptions.signal)
    },
    async restore (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const keys = check(batch)
      if (keys.length === 0) return []
      return await move(keys, key => ({ from: { bucket: trashBucket, key: trashPrefix + key }, to: { bucket: options.bucket, key } }), 'no quarantined copy to restore', applyOptions.signal)
    }
  }
}
