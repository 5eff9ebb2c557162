import { GetObjectTaggingCommand, PutObjectTaggingCommand, type S3Client, type Tag } from '@aws-sdk/client-s3'
import type { KeyEntry, RestorableSink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { bucketCheck } from './bucket-check.ts'
import { optionChecks } from './check-options.ts'
import { s3Target, s3Url } from './location.ts'
import { failed, mapLimit, succeeded, uniqueEntries } from './per-key.ts'
import { checkable } from './plan-check.ts'
import { findPlanned } from './planned-object.ts'
import { errorName, httpStatus, withRetry, type RetrySettings } from './retry.ts'
import { sinkSettings } from './sink-settings.ts'

/** The tag that marks an object for the lifecycle rule. */
export interface ObjectTag {
  readonly key: string
  readonly value: string
}

export const DEFAULT_TAG: ObjectTag = { key: 'keydiff', value: 'orphan' }

export interface S3TagSinkOptions extends RetrySettings {
  /** Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** The tag set on orphans; the lifecycle rule filters on it. @default { key: 'keydiff', value: 'orphan' } */
  tag?: ObjectTag
  /**
   * Act only on the object the plan recorded: HeadObject each key first (with `If-Match` on the
   * plan's ETag) and leave alone, as a failed outcome, an object whose ETag, size or
   * modification time differs; on a versioned bucket tag the version found. @default true
   */
  checkUnchanged?: boolean
  /** Objects tagged at once (two requests each: read the tags, write them). @default 16 */
  concurrency?: number
}

const S3_TAG_LIMIT = 10

/**
 * Soft delete: tags each orphan (keeping its other tags, as PutObjectTagging replaces the
 * whole set) so that a lifecycle rule filtering on the tag expires it after N days
 * (`tagLifecycleRule`). `restore` removes the tag, which undoes it until the rule has run.
 * An object that is already gone counts as done; one rewritten since the plan is reported and
 * left untagged. S3 has no conditional tagging: on a bucket without versioning, a rewrite
 * between the check and the tagging is not seen.
 */
export function s3TagSink (options: S3TagSinkOptions): RestorableSink {
  const checks = optionChecks('@keydiff/s3', 's3TagSink', options)
  const { client, bucket } = s3Target(checks, options)
  const tag = options.tag ?? DEFAULT_TAG
  if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) throw checks.invalid('tag', 'S3 tag keys are 1-128 characters, values up to 256')
  const name = `tag:${s3Url(bucket)}#${tag.key}=${tag.value}`
  const { retry, concurrency, checkUnchanged } = sinkSettings(checks, options)
  const bucketExists = bucketCheck(client, bucket, name)

  const update = async (entry: KeyEntry, check: boolean, change: (tags: Tag[]) => Tag[] | undefined, signal?: AbortSignal): Promise<SinkOutcome> => {
    const { key } = entry
    let VersionId: string | undefined
    if (check && checkable(entry)) {
      const planned = await findPlanned(client, bucket, entry, retry, bucketExists, signal)
      if (planned.state === 'gone') return succeeded(key)
      if (planned.state === 'refused') return planned.outcome
      VersionId = planned.versionId
    }
    try {
      const current = await withRetry(async () => await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId }), { abortSignal: signal }), { ...retry, signal })
      const next = change(current.TagSet ?? [])
      if (next === undefined) return succeeded(key)
      if (next.length > S3_TAG_LIMIT) return { key, ok: false, error: `TooManyTags: the object already has ${S3_TAG_LIMIT} tags`, retryable: false }
      await withRetry(async () => await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId, Tagging: { TagSet: next } }), { abortSignal: signal }), { ...retry, signal })
      return succeeded(key)
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) return succeeded(key)
      return failed(key, error)
    }
  }

  const run = async (batch: readonly KeyEntry[], check: boolean, change: (tags: Tag[]) => Tag[] | undefined, signal?: AbortSignal): Promise<SinkOutcome[]> => {
    return await mapLimit(uniqueEntries(batch, 1000, name), concurrency, async entry => await update(entry, check, change, signal), signal)
  }

  return {
    name,
    action: 'tag',
    supports: { changed: checkUnchanged },
    maxBatch: 1000,
    store: s3Url(bucket),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, checkUnchanged, tags => {
        if (tags.some(t => t.Key === tag.key && t.Value === tag.value)) return undefined
        return [...tags.filter(t => t.Key !== tag.key), { Key: tag.key, Value: tag.value }]
      }, applyOptions.signal)
    },
    async restore (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, false, tags => tags.some(t => t.Key === tag.key) ? tags.filter(t => t.Key !== tag.key) : undefined, applyOptions.signal)
    }
  }
}
