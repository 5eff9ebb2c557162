import type { Client } from 'minio'
import { KeydiffError, type KeyEntry, type Sink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { backoffDelay, sleep } from '@keydiff/core/adapter'
import { bucketCheck, checkable, findPlanned, uniqueEntries } from './planned-object.ts'
import { errorMessage, withRetry } from './retry.ts'

export interface MinioDeleteSinkOptions {
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
  /** Retries of the request and of keys that failed with a transient error. @default 5 */
  retries?: number
  /** @default 200 */
  retryDelayMs?: number
}

const RETRYABLE_KEY_ERRORS = new Set(['InternalError', 'SlowDown', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted'])

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
  const name = `delete:minio://${options.bucket}/`
  const retries = options.retries ?? 5
  const retryDelayMs = options.retryDelayMs ?? 200
  const concurrency = options.concurrency ?? 16
  const check = options.checkUnchanged ?? true
  const { client, bucket } = options
  const bucketExists = bucketCheck(client, bucket, name)
  return {
    name,
    action: 'delete',
    maxBatch: 1000,
    store: `minio://${bucket}/`,
    async apply (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions = {}): Promise<SinkOutcome[]> {
      const entries = uniqueEntries(batch)
      if (entries.length > 1000) throw new RangeError(`${name}: a batch holds at most 1000 keys, got ${entries.length}`)
      const signal = applyOptions.signal
      const outcomes = new Map<string, SinkOutcome>()
      const found = new Array<Target | undefined>(entries.length)
      let next = 0
      await Promise.all(Array.from({ length: Math.min(concurrency, entries.length) }, async () => {
        while (next < entries.length) {
          const index = next++
          const entry = entries[index] as KeyEntry
          if (!check || !checkable(entry)) {
            found[index] = { name: entry.key }
            continue
          }
          const planned = await findPlanned(client, bucket, entry, { retries, baseDelayMs: retryDelayMs }, bucketExists, signal)
          if (planned.state === 'gone') outcomes.set(entry.key, { key: entry.key, ok: true })
          else if (planned.state === 'refused') outcomes.set(entry.key, planned.outcome)
          else found[index] = planned.versionId === undefined ? { name: entry.key } : { name: entry.key, versionId: planned.versionId }
        }
      }))
      let pending = found.filter(target => target !== undefined)
      for (let attempt = 0; pending.length > 0; attempt++) {
        let results
        try {
          const targets = pending
          results = await withRetry(async () => await removeTargets(client, bucket, targets), { retries, baseDelayMs: retryDelayMs, signal })
        } catch (error) {
          throw new KeydiffError(`[minio] ${name}: DeleteObjects of ${pending.length} keys failed: ${errorMessage(error)}`, 'KEYDIFF_SINK_FAILED', { cause: error })
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
          const retryable = RETRYABLE_KEY_ERRORS.has(error.Code ?? '')
          outcomes.set(key, { key, ok: false, error: `${error.Code ?? 'Error'}: ${error.Message ?? 'no message'}`, retryable })
          if (retryable) again.push(target)
        }
        if (again.length === 0 || attempt >= retries) break
        await sleep(backoffDelay(attempt + 1, { retryDelay: retryDelayMs }), signal)
        pending = again
      }
      return entries.map(({ key }) => outcomes.get(key) as SinkOutcome)
    }
  }
}
