import type { Client } from 'minio'
import { InvalidOptionError, type KeyEntry, type RestorableSink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { errorMessage, errorName, isRetryable, withRetry } from './retry.ts'

export interface MinioTagSinkOptions {
  /** Required. */
  client: Client
  /** Required. */
  bucket: string
  /** The tag set on orphans, for a lifecycle (ILM) rule that filters on it. @default { key: 'keydiff', value: 'orphan' } */
  tag?: { key: string, value: string }
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
 * `restore` removes it. An object that is already gone counts as done.
 */
export function minioTagSink (options: MinioTagSinkOptions): RestorableSink {
  const tag = options.tag ?? { key: 'keydiff', value: 'orphan' }
  if (tag.key === '' || tag.key.length > 128 || tag.value.length > 256) throw new InvalidOptionError('tag', 'tag keys are 1-128 characters, values up to 256')
  const name = `tag:minio://${options.bucket}/#${tag.key}=${tag.value}`
  const concurrency = options.concurrency ?? 16
  const retry = { retries: options.retries ?? 5, baseDelayMs: options.retryDelayMs ?? 200 }
  const { client, bucket } = options

  const update = async (key: string, change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome> => {
    try {
      const current = await withRetry(async () => await client.getObjectTagging(bucket, key), { ...retry, signal })
      const tags: Record<string, string> = {}
      for (const entry of current as Array<{ Key: string, Value: string }>) tags[entry.Key] = entry.Value
      const next = change(tags)
      if (next === undefined) return { key, ok: true }
      await withRetry(async () => { await client.setObjectTagging(bucket, key, next) }, { ...retry, signal })
      return { key, ok: true }
    } catch (error) {
      if (errorName(error) === 'NoSuchKey') return { key, ok: true }
      return { key, ok: false, error: errorMessage(error), retryable: isRetryable(error) }
    }
  }

  const run = async (batch: readonly KeyEntry[], change: (tags: Record<string, string>) => Record<string, string> | undefined, signal?: AbortSignal): Promise<SinkOutcome[]> => {
    const keys = [...new Set(batch.map(entry => entry.key))]
    const out = new Array<SinkOutcome>(keys.length)
    let next = 0
    await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, async () => {
      while (next < keys.length) {
        const index = next++
        out[index] = await update(keys[index] as string, change, signal)
      }
    }))
    return out
  }

  return {
    name,
    action: 'tag',
    maxBatch: 1000,
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, tags => tags[tag.key] === tag.value ? undefined : { ...tags, [tag.key]: tag.value }, applyOptions.signal)
    },
    async restore (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      return await run(batch, tags => {
        if (!(tag.key in tags)) return undefined
        const { [tag.key]: _removed, ...rest } = tags
        return rest
      }, applyOptions.signal)
    }
  }
}
