import type { KeyEntry, RestorableSink } from '@keydiff/core'
import { OK, fail, objectRunner, staleGeneration } from './object-sink.ts'
import type { GcsSinkOptions, ObjectResult, ObjectSinkContext } from './object-sink.ts'
import type { LegacyStorageOptions } from './options.ts'
import { call, failureOf, objectUri } from './request.ts'

export interface GcsReleaseHoldSinkOptions extends GcsSinkOptions {
  /**
   * Also set `customTime` to now when releasing, so that a `daysSinceCustomTime` rule counts
   * N days from the release rather than an `age` rule from the object's creation.
   * @default false
   */
  setCustomTime?: boolean
}

/** Sets or clears an object's event-based hold, in the planned generation only. */
export async function patchHold (context: ObjectSinkContext, entry: KeyEntry, hold: boolean, extra: Record<string, unknown> = {}): Promise<ObjectResult> {
  try {
    await call(context.bucket, {
      method: 'PATCH',
      uri: objectUri(entry.key),
      qs: { ifGenerationMatch: entry.version, fields: 'name,generation,eventBasedHold', userProject: context.userProject },
      json: { eventBasedHold: hold, ...extra }
    })
    return OK
  } catch (error) {
    const failure = failureOf(error)
    // Releasing the hold of an object that is gone leaves nothing to protect; holding it again cannot be done.
    if (failure.status === 404) return hold ? fail({ ...failure, retryable: false }, 'the object is gone and cannot be held again') : OK
    if (failure.status === 412) return staleGeneration(entry, failure)
    return fail(failure)
  }
}

/**
 * Soft delete through event-based holds (objects are written with a hold, by the bucket's
 * default; a lifecycle rule on age deletes what has none): releasing the hold hands the
 * object to the lifecycle rule. `restore` sets the hold again, until the rule has run.
 */
export function gcsReleaseHoldSink (options: GcsReleaseHoldSinkOptions | LegacyStorageOptions<GcsReleaseHoldSinkOptions>): RestorableSink {
  const runner = objectRunner('gcsReleaseHoldSink', options, bucket => `release-hold:gs://${bucket}`)
  return {
    name: runner.name,
    action: 'release-hold',
    supports: { changed: true },
    maxBatch: runner.maxBatch,
    store: `gs://${runner.context.bucketName}/`,
    apply: async (batch, applyOptions) => await runner.run(batch, applyOptions, async entry =>
      await patchHold(runner.context, entry, false, options.setCustomTime === true ? { customTime: new Date().toISOString() } : {})),
    restore: async (batch, applyOptions) => await runner.run(batch, applyOptions, async entry => await patchHold(runner.context, entry, true))
  }
}
