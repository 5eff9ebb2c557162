import type { KeyEntry, Sink } from '@keydiff/core'
import { OK, fail, objectRunner, staleGeneration } from './object-sink.ts'
import type { GcsSinkOptions, ObjectResult, ObjectSinkContext } from './object-sink.ts'
import { call, failureOf, objectUri } from './request.ts'

export type GcsDeleteSinkOptions = GcsSinkOptions

/** Deletes one object, only in the planned generation when the entry carries one. */
export async function deleteObject (context: ObjectSinkContext, entry: KeyEntry): Promise<ObjectResult> {
  try {
    await call(context.bucket, { method: 'DELETE', uri: objectUri(entry.key), qs: { ifGenerationMatch: entry.version, userProject: context.userProject } })
    return OK
  } catch (error) {
    const failure = failureOf(error)
    if (failure.status === 404) return OK
    if (failure.status === 412) return staleGeneration(entry, failure)
    return fail(failure)
  }
}

/**
 * Deletes objects, several at a time (the JSON API has no multi-object delete). An entry's
 * `version` (the generation listed at plan time) becomes `ifGenerationMatch`, so an object
 * rewritten after the plan survives and is reported. Deleting what is gone is a success.
 */
export function gcsDeleteSink (options: GcsDeleteSinkOptions): Sink {
  const name = `delete:gs://${options.bucket}`
  const runner = objectRunner(name, options)
  return {
    name,
    action: 'delete',
    maxBatch: runner.maxBatch,
    apply: async (batch, applyOptions) => await runner.run(batch, applyOptions, async entry => await deleteObject(runner.context, entry))
  }
}
