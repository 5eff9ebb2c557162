import type { KeyEntry, Sink } from '@keydiff/core'
import { OK, fail, objectRunner, staleGeneration } from './object-sink.ts'
import type { GcsSinkOptions, ObjectResult, ObjectSinkContext } from './object-sink.ts'
import type { LegacyStorageOptions } from './options.ts'
import { MAX_BATCH_CALLS, sendBatch } from './batch-request.ts'
import { call, encodeName, failureOf, objectUri } from './request.ts'
import type { GcsFailure } from './request.ts'

export interface GcsDeleteSinkOptions extends GcsSinkOptions {
  /**
   * Send deletes 100 to a request through the JSON API batch endpoint (with undici, using
   * the client's endpoint and credentials) instead of one request each; `concurrency` then
   * counts batch requests. @default false
   */
  jsonBatch?: boolean
}

function deletePath (context: ObjectSinkContext, entry: KeyEntry): string {
  const query = new URLSearchParams()
  if (entry.version !== undefined) query.set('ifGenerationMatch', entry.version)
  if (context.userProject !== undefined) query.set('userProject', context.userProject)
  const qs = query.size === 0 ? '' : `?${query.toString()}`
  return `/storage/v1/b/${encodeName(context.bucketName)}${objectUri(entry.key)}${qs}`
}

function deleteResult (entry: KeyEntry, failure: GcsFailure | undefined): ObjectResult {
  if (failure === undefined || failure.status === 404) return OK
  if (failure.status === 412) return staleGeneration(entry, failure)
  return fail(failure)
}

/** Deletes one object, only in the planned generation when the entry carries one. */
export async function deleteObject (context: ObjectSinkContext, entry: KeyEntry): Promise<ObjectResult> {
  try {
    await call(context.bucket, { method: 'DELETE', uri: objectUri(entry.key), qs: { ifGenerationMatch: entry.version, userProject: context.userProject } })
    return OK
  } catch (error) {
    return deleteResult(entry, failureOf(error))
  }
}

/**
 * Deletes objects, several at a time (the JSON API has no multi-object delete). An entry's
 * `version` (the generation listed at plan time) becomes `ifGenerationMatch`, so an object
 * rewritten after the plan survives and is reported. Deleting what is gone is a success.
 */
export function gcsDeleteSink (options: GcsDeleteSinkOptions | LegacyStorageOptions<GcsDeleteSinkOptions>): Sink {
  const runner = objectRunner('gcsDeleteSink', options, bucket => `delete:gs://${bucket}`)
  return {
    name: runner.name,
    action: 'delete',
    supports: { changed: true },
    maxBatch: runner.maxBatch,
    store: `gs://${runner.context.bucketName}/`,
    apply: async (batch, applyOptions) => {
      if (options.jsonBatch !== true) return await runner.run(batch, applyOptions, async entry => await deleteObject(runner.context, entry))
      return await runner.runChunked(batch, applyOptions, MAX_BATCH_CALLS, async chunk => {
        const failures = await sendBatch(runner.client, chunk.map(entry => ({ method: 'DELETE', path: deletePath(runner.context, entry) })), applyOptions?.signal)
        return chunk.map((entry, i) => deleteResult(entry, failures[i]))
      })
    }
  }
}
