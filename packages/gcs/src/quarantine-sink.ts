import type { Bucket } from '@google-cloud/storage'
import type { KeyEntry, RestorableSink } from '@keydiff/core'
import { deleteObject } from './delete-sink.ts'
import { OK, fail, objectRunner, staleGeneration } from './object-sink.ts'
import type { GcsSinkOptions, ObjectResult, ObjectSinkContext } from './object-sink.ts'
import type { LegacyStorageOptions } from './options.ts'
import { call, encodeName, failureOf, objectUri } from './request.ts'
import type { GcsFailure } from './request.ts'

export interface GcsQuarantineSinkOptions extends GcsSinkOptions {
  /** Prefix under which quarantined objects are kept: `key` goes to `${trashPrefix}${key}`. @default '.keydiff-trash/' (hidden, so a plan never lists it) */
  trashPrefix?: string
  /** Bucket that keeps the quarantined objects. @default the bucket itself */
  trashBucket?: string
}

const DEFAULT_TRASH_PREFIX = '.keydiff-trash/'

async function rewrite (bucket: Bucket, from: string, toBucket: string, to: string, qs: Record<string, string | undefined>): Promise<void> {
  let rewriteToken: string | undefined
  do {
    const response = await call<{ done?: boolean, rewriteToken?: string }>(bucket, {
      method: 'POST',
      uri: `${objectUri(from)}/rewriteTo/b/${encodeName(toBucket)}/o/${encodeName(to)}`,
      qs: { ...qs, rewriteToken }
    })
    rewriteToken = response.done === true ? undefined : response.rewriteToken
  } while (rewriteToken !== undefined)
}

async function generationOf (context: ObjectSinkContext, key: string): Promise<string | undefined> {
  try {
    const object = await call<{ generation: string }>(context.bucket, { uri: objectUri(key), qs: { fields: 'generation', userProject: context.userProject } })
    return object.generation
  } catch (error) {
    if (failureOf(error).status === 404) return undefined
    throw error
  }
}

/**
 * Quarantine: copies each object under a trash prefix (objects.rewrite, which also moves
 * large objects and crosses locations), then deletes the original in the generation that
 * was copied. `restore` copies it back, never over an object that exists again, and removes
 * the trash copy.
 */
export function gcsQuarantineSink (options: GcsQuarantineSinkOptions | LegacyStorageOptions<GcsQuarantineSinkOptions>): RestorableSink {
  const runner = objectRunner('gcsQuarantineSink', options, bucket => `quarantine:gs://${bucket} -> gs://${options.trashBucket ?? bucket}/${options.trashPrefix ?? DEFAULT_TRASH_PREFIX}`)
  const trashPrefix = options.trashPrefix ?? DEFAULT_TRASH_PREFIX
  const context = runner.context
  const trashBucketName = options.trashBucket === undefined ? context.bucketName : runner.check.bucket(options.trashBucket, 'trashBucket')
  if (trashBucketName === context.bucketName && trashPrefix === '') throw runner.check.invalid('trashPrefix', 'must not be empty when the trash is the same bucket')
  const trash: ObjectSinkContext = { ...context, bucket: runner.client.bucket(trashBucketName), bucketName: trashBucketName }

  const quarantine = async (entry: KeyEntry): Promise<ObjectResult> => {
    const generation = entry.version ?? await generationOf(context, entry.key)
    if (generation === undefined) return OK
    try {
      await rewrite(context.bucket, entry.key, trashBucketName, trashPrefix + entry.key, { ifSourceGenerationMatch: generation, userProject: context.userProject })
    } catch (error) {
      const failure = failureOf(error)
      if (failure.status === 404) return OK
      if (failure.status === 412) return staleGeneration(entry, failure)
      return fail(failure, 'copying to the trash failed; the object is untouched')
    }
    return await deleteObject(context, { ...entry, version: generation })
  }

  const restore = async (entry: KeyEntry): Promise<ObjectResult> => {
    const trashKey = trashPrefix + entry.key
    try {
      await rewrite(trash.bucket, trashKey, context.bucketName, entry.key, { ifGenerationMatch: '0', userProject: context.userProject })
    } catch (error) {
      const failure: GcsFailure = failureOf(error)
      if (failure.status === 404) {
        if (await generationOf(context, entry.key) !== undefined) return OK
        return fail({ ...failure, retryable: false }, `neither ${entry.key} nor its trash copy ${trashKey} exists`)
      }
      if (failure.status === 412) return fail({ ...failure, retryable: false }, `${entry.key} exists again; its trash copy ${trashKey} is kept`)
      return fail(failure)
    }
    return await deleteObject(trash, { key: trashKey })
  }

  return {
    name: runner.name,
    action: 'quarantine',
    supports: { changed: true },
    maxBatch: runner.maxBatch,
    store: `gs://${context.bucketName}/`,
    trash: `gs://${trashBucketName}/${trashPrefix}`,
    apply: async (batch, applyOptions) => await runner.run(batch, applyOptions, quarantine),
    restore: async (batch, applyOptions) => await runner.run(batch, applyOptions, restore)
  }
}
