import type { Client } from 'minio'
import { InvalidOptionError, type KeyEntry, type RestorableSink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { bucketCheck, checkable, findPlanned, uniqueEntries } from './planned-object.ts'
import { errorMessage, errorName, isRetryable, withRetry } from './retry.ts'

export interface MinioTagSinkOptions {
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
  /** @default 5 */
  retries?: number
  /** @default 200 */
  retryDelayMs?: number
}

/**
 * Soft delete through the minio client: adds the tag to each orphan (keeping its other tags),
 * for an ILM expiry rule filtering on it (`mc ilm rule add --tags "keydiff=orphan" --expire-days N`);
 * `restore` removes it. An object that is already gone counts as done; one rewritten since the
 * plan is reported and left untagged (on a bucket without versioning, a rewrite between the
 * check and the tagging is not seen: tagging has no condition).
 */
export function minioTagSink (options: MinioTagSinkOptions): RestorableSink {
  const tag = options.tag ?? { key: 'keydiff', value: 'orphan' }
  if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) throw new InvalidOptionError('tag', 'tag keys are 1-128 characters, values up to 256')
  const name = `tag:minio://${options.bucket}/#${tag.key}=${tag.value}`
  const concurrency = options.concurrency ?? 16
  const retry = { retries: options.retries ?? 5, baseDelayMs: options.retryDelayMs ?? 200 }
  const checkUnchanged = options.checkUnchanged ?? true
  const { client, bucket } = options
  const bucketExists = bucketCheck(client, bucket, name)

  const update = async (entry: KeyEntry, check: boolean, change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome> => {
    const { key } = entry
    let versionId: string | undefined
    if (check && checkable(entry)) {
      const planned = await findPlanned(client, bucket, entry, retry, bucketExists, signal)
      if (planned.state === 'gone') return { key, ok: true }
      if (planned.state === 'refused') return planned.outcome
      versionId = planned.versionId
    }
    try {
      const current = await withRetry(async () => await client.getObjectTagging(bucket, key, versionId === undefined ? undefined : { versionId }), { ...retry, signal })
      const tags: Record<string, string> = {}
      for (const entry of current as Array<{ Key: string, Value: string }>) tags[entry.Key] = entry.Value
      const next = change(tags)
      if (next === undefined) return { key, ok: true }
      await withRetry(async () => { await client.setObjectTagging(bucket, key, next, versionId === undefined ? undefined : { versionId }) }, { ...retry, signal })
      return { key, ok: true }
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return { key, ok: true }
      return { key, ok: false, error: errorMessage(error), retryable: isRetryable(error) }
    }
  }

  const run = async (batch: readonly KeyEntry[], check: boolean, change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome[]> => {
    const entries = uniqueEntries(batch)
    const out = new Array<SinkOutcome>(entries.length)
    let next = 0
    await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, async () => {
      while (next < entries.length) {
        const index = next++
        out[index] = await update(entries[index] as KeyEntry, check, change, signal)
      }
    }))
    return out
  }

  return {
    name,
    action: 'tag',
    maxBatch: 1000,
    store: `minio://${bucket}/`,
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
