import type { Client } from 'minio'
import { SinkError, type KeyEntry, type Sink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { backoffDelay, sleep } from '@keydiff/core/adapter'
import { checkable, errorMessage, isRetryableKeyError, mapLimit, optionChecks, sinkSettings, uniqueEntries, withRetry, type RetrySettings } from '@keydiff/s3/adapter'
import { minioTarget, minioUrl } from './location.ts'
import { bucketCheck, findPlanned } from './planned-object.ts'

export interface MinioDeleteSinkOptions extends RetrySettings {
  /** Required. */
  client: Client
  /** Required. */
  bucket: string
  /**
   * Act only on the object the plan recorded: right before each batch, statObject every key and
   * leave alone, as a failed outcome, an object whose ETag, size or modification time differs;
   * on a versioned bucket delete the version found. @default true
   */
  checkUnchanged?: boolean
  /** statObject checks in flight at once. @default 16 */
  concurrency?: number
}

interface Target { readonly name: string, readonly versionId?: string }

/** One DeleteObjects per kind of target: the minio client writes an empty `<VersionId/>` for an entry without one. */
async function removeTargets (client: Client, bucket: string, targets: readonly Target[]): ReturnType<Client['removeObjects']> {
  const plain = targets.filter(target => target.versionId === undefined).map(target => target.name)
  const versioned = targets.filter(target => target.versionId !== undefined).map(target => ({ name: target.name, versionId: target.versionId as string }))
  return [
    ...plain.length === 0 ? [] : await client.removeObjects(bucket, plain),
    ...versioned.length === 0 ? [] : await client.removeObjects(bucket, versioned)
  ]
}

/**
 * Deletes orphans with `removeObjects` (DeleteObjects, Quiet), 1,000 keys a request; per-key
 * errors are retried and reported. Each key is first checked against the plan (statObject);
 * on a versioned bucket the planned version itself is removed (for good: no delete marker),
 * so a version written after the plan is never hidden. The minio client has no conditional
 * delete: on a bucket without versioning, a rewrite between the check and the delete is not seen.
 */
export function minioDeleteSink (options: MinioDeleteSinkOptions): Sink {
  const checks = optionChecks('@keydiff/minio', 'minioDeleteSink', options)
  const { client, bucket } = minioTarget(checks, options)
  const name = `delete:${minioUrl(bucket)}`
  const { retry, concurrency, checkUnchanged } = sinkSettings(checks, options)
  const bucketExists = bucketCheck(client, bucket, name)
  return {
    name,
    action: 'delete',
    supports: { changed: checkUnchanged },
    maxBatch: 1000,
    store: minioUrl(bucket),
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch, 1000, name)
      const signal = applyOptions.signal
      const outcomes = new Map<string, SinkOutcome>()
      const found = await mapLimit(entries, concurrency, async (entry): Promise<Target | undefined> => {
        if (!checkUnchanged || !checkable(entry)) return { name: entry.key }
        const planned = await findPlanned(client, bucket, entry, retry, bucketExists, signal)
        if (planned.state === 'gone') outcomes.set(entry.key, { key: entry.key, ok: true })
        if (planned.state === 'refused') outcomes.set(entry.key, planned.outcome)
        if (planned.state !== 'same') return undefined
        return planned.versionId === undefined ? { name: entry.key } : { name: entry.key, versionId: planned.versionId }
      }, signal)
      let pending = found.filter(target => target !== undefined)
      for (let attempt = 0; pending.length > 0; attempt++) {
        let results
        try {
          const targets = pending
          results = await withRetry(async () => await removeTargets(client, bucket, targets), { ...retry, signal })
        } catch (error) {
          throw new SinkError(`DeleteObjects of ${pending.length} keys failed: ${errorMessage(error)}`, { adapter: 'minio', target: name, cause: error })
        }
        const errors = new Map<string, { Code?: string, Message?: string }>()
        for (const result of results) {
          // minio 8 returns the response's <Error> elements themselves, although its type wraps them in { Error }.
          const error = (result?.Error ?? result) as { Key?: string, Code?: string, Message?: string } | null | undefined
          if (typeof error?.Key === 'string') errors.set(error.Key, error)
        }
        const again: Target[] = []
        for (const target of pending) {
          const key = target.name
          const error = errors.get(key)
          if (error === undefined) {
            outcomes.set(key, { key, ok: true })
            continue
          }
          const retryable = isRetryableKeyError(error.Code)
          outcomes.set(key, { key, ok: false, error: `${error.Code ?? 'Error'}: ${error.Message ?? 'no message'}`, retryable })
          if (retryable) again.push(target)
        }
        if (again.length === 0 || attempt >= retry.retries) break
        await sleep(backoffDelay(attempt + 1, retry), signal)
        pending = again
      }
      return entries.map(({ key }) => outcomes.get(key) as SinkOutcome)
    }
  }
}
