import { CopyObjectCommand, HeadObjectCommand, type ObjectIdentifier, type S3Client } from '@aws-sdk/client-s3'
import type { KeyEntry, RestorableSink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { bucketCheck } from './bucket-check.ts'
import { optionChecks } from './check-options.ts'
import { deleteObjects } from './delete-objects.ts'
import { s3Target, s3Url } from './location.ts'
import { failed, mapLimit, uniqueEntries } from './per-key.ts'
import { changedOutcome, checkable, isChanged, quotedEtag } from './plan-check.ts'
import { findPlanned, plannedIdentifier } from './planned-object.ts'
import { errorName, httpStatus, withRetry, type RetrySettings } from './retry.ts'
import { sinkSettings } from './sink-settings.ts'
import { encodeCopySource } from './url-encoding.ts'

export interface S3QuarantineSinkOptions extends RetrySettings {
  /** Required. */
  client: S3Client
  /** The bucket the orphans are in. Required. */
  bucket: string
  /** Where quarantined copies go. @default the same bucket */
  trashBucket?: string
  /** Prepended to a key to make its quarantine key. Exclude it from later listings. @default '.keydiff-trash/' */
  trashPrefix?: string
  /**
   * Act only on the object the plan recorded: HeadObject each key first (with `If-Match` on the
   * plan's ETag) and leave alone, as a failed outcome, an object whose ETag, size or
   * modification time differs; copy with `CopySourceIfMatch` (and the version found, on a
   * versioned bucket) and delete the original on the same version or ETag. @default true
   */
  checkUnchanged?: boolean
  /** Copies in flight at once. @default 16 */
  concurrency?: number
}

interface Move { from: { bucket: string, key: string }, to: { bucket: string, key: string } }

/** The result of the copy step for one key: copied (the source to delete next), or its outcome already. */
type Copied = { key: string, source: ObjectIdentifier } | { key: string, outcome: SinkOutcome }

const NOTHING_FOUND = { etag: undefined, versionId: undefined }

/**
 * Quarantines orphans: CopyObject under a trash prefix (or into another bucket), then delete
 * the original; `restore` copies back and removes the trash copy. Only the object the plan
 * recorded is moved: one rewritten since is reported and left alone. Objects over 5 GiB need
 * a multipart copy, which this sink does not do: they fail with the store's error.
 */
export function s3QuarantineSink (options: S3QuarantineSinkOptions): RestorableSink {
  const checks = optionChecks('@keydiff/s3', 's3QuarantineSink', options)
  const { client, bucket } = s3Target(checks, options)
  const trashBucket = options.trashBucket === undefined ? bucket : checks.bucket(options.trashBucket, 'trashBucket')
  const trashPrefix = options.trashPrefix ?? '.keydiff-trash/'
  if (trashBucket === bucket && trashPrefix === '') throw checks.invalid('trashPrefix', 'must not be empty when the trash is the same bucket')
  const name = `quarantine:${s3Url(bucket)}->${s3Url(trashBucket, trashPrefix)}`
  const { retry, concurrency, checkUnchanged } = sinkSettings(checks, options)
  const bucketExists = bucketCheck(client, bucket, name)

  const exists = async (bucket: string, key: string, signal?: AbortSignal): Promise<boolean> => {
    try {
      await withRetry(async () => await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal }), { ...retry, signal })
      return true
    } catch (error) {
      if (httpStatus(error) === 404) return false
      throw error
    }
  }

  /** A source that is gone was moved before when its copy exists; otherwise there is nothing to move. */
  const gone = async (key: string, to: Move['to'], missing: string, signal?: AbortSignal): Promise<SinkOutcome> => {
    if (await exists(to.bucket, to.key, signal).catch(() => false)) return { key, ok: true }
    return { key, ok: false, error: `NoSuchKey: ${missing}`, retryable: false }
  }

  const copyOne = async (entry: KeyEntry, move: Move, check: boolean, missing: string, signal?: AbortSignal): Promise<Copied> => {
    const { key } = entry
    const { from, to } = move
    let found: { etag: string | undefined, versionId: string | undefined } = NOTHING_FOUND
    if (check && checkable(entry)) {
      const planned = await findPlanned(client, from.bucket, entry, retry, bucketExists, signal)
      if (planned.state === 'refused') return { key, outcome: planned.outcome }
      if (planned.state === 'gone') return { key, outcome: await gone(key, to, missing, signal) }
      found = planned
    }
    const version = found.versionId === undefined ? '' : `?versionId=${encodeURIComponent(found.versionId)}`
    try {
      await withRetry(async () => await client.send(new CopyObjectCommand({
        Bucket: to.bucket,
        Key: to.key,
        CopySource: encodeCopySource(from.bucket, from.key) + version,
        CopySourceIfMatch: found.etag === undefined ? undefined : quotedEtag(found.etag)
      }), { abortSignal: signal }), { ...retry, signal })
      return { key, source: plannedIdentifier(from.key, found) }
    } catch (error) {
      if (httpStatus(error) === 412) return { key, outcome: changedOutcome(key, `its ETag is no longer ${found.etag ?? '?'} (the store refused the copy on CopySourceIfMatch)`) }
      if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) return { key, outcome: await gone(key, to, missing, signal) }
      return { key, outcome: failed(key, error) }
    }
  }

  /**
   * Copies each entry, then deletes the sources that were copied, on the version or ETag
   * copied. A source that changed between the two keeps its new content, and the stale trash
   * copy is removed so that no restore can bring it back over the new one.
   */
  const move = async (entries: KeyEntry[], plan: (key: string) => Move, check: boolean, missing: string, signal?: AbortSignal): Promise<SinkOutcome[]> => {
    const copied = await mapLimit(entries, concurrency, async entry => await copyOne(entry, plan(entry.key), check, missing, signal), signal)
    const outcomes = new Map<string, SinkOutcome>()
    const toDelete: Array<{ key: string, source: ObjectIdentifier }> = []
    for (const result of copied) {
      if ('source' in result) toDelete.push(result)
      else outcomes.set(result.key, result.outcome)
    }
    if (toDelete.length > 0) {
      const sourceBucket = plan(toDelete[0]?.key as string).from.bucket
      const deleted = await deleteObjects({ client, bucket: sourceBucket, sink: name, retry }, toDelete.map(item => item.source), signal)
      const stale: ObjectIdentifier[] = []
      for (const { key, source } of toDelete) {
        const outcome = deleted.get(source.Key as string)
        outcomes.set(key, outcome === undefined ? { key, ok: false, error: 'no outcome' } : { ...outcome, key })
        if (outcome !== undefined && isChanged(outcome)) stale.push({ Key: plan(key).to.key })
      }
      if (stale.length > 0) await deleteObjects({ client, bucket: plan(toDelete[0]?.key as string).to.bucket, sink: name, retry }, stale, signal).catch(() => {})
    }
    return entries.map(({ key }) => outcomes.get(key) as SinkOutcome)
  }

  return {
    name,
    action: 'quarantine',
    supports: { changed: checkUnchanged },
    maxBatch: 1000,
    store: s3Url(bucket),
    trash: s3Url(trashBucket, trashPrefix),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch, 1000, name)
      if (entries.length === 0) return []
      return await move(entries, key => ({ from: { bucket, key }, to: { bucket: trashBucket, key: trashPrefix + key } }), checkUnchanged, 'the object is gone and has no quarantined copy', applyOptions.signal)
    },
    async restore (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch, 1000, name)
      if (entries.length === 0) return []
      return await move(entries, key => ({ from: { bucket: trashBucket, key: trashPrefix + key }, to: { bucket, key } }), false, 'no quarantined copy to restore', applyOptions.signal)
    }
  }
}
