import type { KeyEntry, RestorableSink } from '@keydiff/core'
import { OK, fail, objectRunner, staleGeneration } from './object-sink.ts'
import type { GcsSinkOptions, ObjectResult, ObjectSinkContext } from './object-sink.ts'
import type { LegacyStorageOptions } from './options.ts'
import { call, encodeName, failureOf, objectUri } from './request.ts'

export interface GcsCustomTimeSinkOptions extends GcsSinkOptions {
  /** The time written as `customTime`; a `daysSinceCustomTime` rule counts from it. @default () => new Date() */
  now?: () => Date
}

interface ObjectMetadata {
  generation: string
  customTime?: string
  [field: string]: unknown
}

// The writable metadata a rewrite must carry over; everything but customTime.
const KEPT = ['contentType', 'contentEncoding', 'contentDisposition', 'contentLanguage', 'cacheControl', 'metadata', 'eventBasedHold', 'temporaryHold'] as const

async function setCustomTime (context: ObjectSinkContext, entry: KeyEntry, time: Date): Promise<ObjectResult> {
  try {
    await call(context.bucket, {
      method: 'PATCH',
      uri: objectUri(entry.key),
      qs: { ifGenerationMatch: entry.version, fields: 'name,generation,customTime', userProject: context.userProject },
      json: { customTime: time.toISOString() }
    })
    return OK
  } catch (error) {
    const failure = failureOf(error)
    if (failure.status === 404) return OK
    if (failure.status === 412) return staleGeneration(entry, failure)
    if (failure.status === 400) return fail({ ...failure, retryable: false }, 'customTime can only move forward; the object already has a later one')
    return fail(failure)
  }
}

/**
 * customTime cannot be removed or moved back once set, so undoing it rewrites the object
 * onto itself with its metadata minus customTime (a new generation of the same bytes),
 * guarded by the generation just read.
 */
async function clearCustomTime (context: ObjectSinkContext, entry: KeyEntry): Promise<ObjectResult> {
  let current: ObjectMetadata
  try {
    current = await call<ObjectMetadata>(context.bucket, { uri: objectUri(entry.key), qs: { userProject: context.userProject } })
  } catch (error) {
    const failure = failureOf(error)
    return fail(failure.status === 404 ? { ...failure, retryable: false } : failure, failure.status === 404 ? 'the object is gone and cannot be restored' : undefined)
  }
  if (current.customTime === undefined) return OK
  const body: Record<string, unknown> = {}
  for (const field of KEPT) if (current[field] !== undefined) body[field] = current[field]
  try {
    let rewriteToken: string | undefined
    do {
      const response = await call<{ done?: boolean, rewriteToken?: string }>(context.bucket, {
        method: 'POST',
        uri: `${objectUri(entry.key)}/rewriteTo/b/${encodeName(context.bucketName)}/o/${encodeName(entry.key)}`,
        qs: { ifSourceGenerationMatch: current.generation, ifGenerationMatch: current.generation, rewriteToken, userProject: context.userProject },
        json: body
      })
      rewriteToken = response.done === true ? undefined : response.rewriteToken
    } while (rewriteToken !== undefined)
    return OK
  } catch (error) {
    const failure = failureOf(error)
    if (failure.status === 412) return fail({ ...failure, retryable: true }, 'the object changed while it was being restored')
    return fail(failure)
  }
}

/**
 * Soft delete by `customTime`: sets it to now (in the planned generation only), and a
 * `daysSinceCustomTime` lifecycle rule deletes the object N days later. Acting twice moves
 * the time forward to the second call. `restore` rewrites the object without customTime.
 */
export function gcsCustomTimeSink (options: GcsCustomTimeSinkOptions | LegacyStorageOptions<GcsCustomTimeSinkOptions>): RestorableSink {
  const runner = objectRunner('gcsCustomTimeSink', options, bucket => `custom-time:gs://${bucket}`)
  const now = options.now ?? (() => new Date())
  return {
    name: runner.name,
    action: 'custom-time',
    supports: { changed: true },
    maxBatch: runner.maxBatch,
    store: `gs://${runner.context.bucketName}/`,
    apply: async (batch, applyOptions) => {
      const time = now()
      return await runner.run(batch, applyOptions, async entry => await setCustomTime(runner.context, entry, time))
    },
    restore: async (batch, applyOptions) => await runner.run(batch, applyOptions, async entry => await clearCustomTime(runner.context, entry))
  }
}
