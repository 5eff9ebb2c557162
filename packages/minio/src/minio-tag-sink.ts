import type { Client } from 'minio'
import type { KeyEntry, RestorableSink, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { checkable, errorName, failed, mapLimit, optionChecks, sinkSettings, succeeded, uniqueEntries, withRetry, type RetrySettings } from '@keydiff/s3/adapter'
import { minioTarget, minioUrl } from './location.ts'
import { bucketCheck, findPlanned } from './planned-object.ts'

export interface MinioTagSinkOptions extends RetrySettings {
  /** Required. */
  client: Client
  /** Required. */
  bucket: string
  /** The tag set on orphans, for a lifecycle (ILM) rule that filters on it. @default { key: 'keydiff', value: 'orphan' } */
  tag?: { key: string, value: string }
  /**
   * Act only on the object the plan recorded: statObject each key first and leave alone, as a
   * failed outcome, an object whose ETag, size or modification time differs; on a versioned
   * bucket tag the version found. @default true
   */
  checkUnchanged?: boolean
  /** Objects tagged at once. @default 16 */
  concurrency?: number
}

/**
 * Soft delete through the minio client: adds the tag to each orphan (keeping its other tags),
 * for an ILM expiry rule filtering on it (`mc ilm rule add --tags "keydiff=orphan" --expire-days N`);
 * `restore` removes it. An object that is already gone counts as done; one rewritten since the
 * plan is reported and left untagged (on a bucket without versioning, a rewrite between the
 * check and the tagging is not seen: tagging has no condition).
 */
export function minioTagSink (options: MinioTagSinkOptions): RestorableSink {
  const checks = optionChecks('@keydiff/minio', 'minioTagSink', options)
  const { client, bucket } = minioTarget(checks, options)
  const tag = options.tag ?? { key: 'keydiff', value: 'orphan' }
  if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) throw checks.invalid('tag', 'tag keys are 1-128 characters, values up to 256')
  const name = `tag:${minioUrl(bucket)}#${tag.key}=${tag.value}`
  const { retry, concurrency, checkUnchanged } = sinkSettings(checks, options)
  const bucketExists = bucketCheck(client, bucket, name)

  const update = async (entry: KeyEntry, check: boolean, change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome> => {
    const { key } = entry
    let versionId: string | undefined
    if (check && checkable(entry)) {
      const planned = await findPlanned(client, bucket, entry, retry, bucketExists, signal)
      if (planned.state === 'gone') return succeeded(key)
      if (planned.state === 'refused') return planned.outcome
      versionId = planned.versionId
    }
    try {
      const current = await withRetry(async () => await client.getObjectTagging(bucket, key, versionId === undefined ? undefined : { versionId }), { ...retry, signal })
      const tags: Record<string, string> = {}
      for (const entry of current as Array<{ Key: string, Value: string }>) tags[entry.Key] = entry.Value
      const next = change(tags)
      if (next === undefined) return succeeded(key)
      await withRetry(async () => { await client.setObjectTagging(bucket, key, next, versionId === undefined ? undefined : { versionId }) }, { ...retry, signal })
      return succeeded(key)
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return succeeded(key)
      return failed(key, error)
    }
  }

  const run = async (batch: readonly KeyEntry[], check: boolean, change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome[]> =>
    await mapLimit(uniqueEntries(batch, 1000, name), concurrency, async entry => await update(entry, check, change, signal), signal)

  return {
    name,
    action: 'tag',
    supports: { changed: checkUnchanged },
    maxBatch: 1000,
    store: minioUrl(bucket),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, checkUnchanged, tags => tags[tag.key] === tag.value ? undefined : { ...tags, [tag.key]: tag.value }, applyOptions.signal)
    },
    async restore (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, false, tags => {
        if (!(tag.key in tags)) return undefined
        const { [tag.key]: _removed, ...rest } = tags
        return rest
      }, applyOptions.signal)
    }
  }
}
