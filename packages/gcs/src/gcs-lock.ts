import type { Storage } from '@google-cloud/storage'
import type { Lock } from '@keydiff/core'
import { objectLock } from '@keydiff/core/adapter'
import { GcsOptions, type LegacyStorageOptions } from './options.ts'
import { describeFailure, failureOf } from './request.ts'

export interface GcsLockOptions {
  /** The user's client. Required. */
  client: Storage
  /** Bucket that holds the lock object. Required. */
  bucket: string
  /** Name of the lock object; under `.keydiff/` a plan never lists it. @default '.keydiff/lock' */
  key?: string
}

/**
 * A lock held as an object in the bucket, with a lease (see core's `objectLock`): taken by
 * creating it only if absent (`ifGenerationMatch=0`), taken over (by `force`, or because its
 * lease ran out) and renewed by replacing exactly the generation that was read, and released
 * by deleting only the generation this lease wrote, so a lease that was taken over cannot
 * remove its successor's lock. The object is written without an event-based hold, so a
 * bucket's default hold cannot pin it. Its storage failing (a missing bucket, an unreachable
 * endpoint) is a LockError, KEYDIFF_LOCK_FAILED.
 */
export function gcsLock (options: GcsLockOptions | LegacyStorageOptions<GcsLockOptions>): Lock {
  const check = new GcsOptions('gcsLock', options)
  const bucketName = check.bucket(options.bucket)
  const key = options.key ?? '.keydiff/lock'
  const bucket = check.client(options).bucket(bucketName)

  /** The object's new generation, or undefined when the precondition failed. */
  const write = async (text: string, ifGenerationMatch: string): Promise<string | undefined> => {
    const file = bucket.file(key)
    try {
      await file.save(text, {
        resumable: false,
        metadata: { contentType: 'application/json', eventBasedHold: false },
        preconditionOpts: { ifGenerationMatch }
      })
    } catch (error) {
      if (failureOf(error).status === 412) return undefined
      throw error
    }
    return String(file.metadata.generation)
  }

  return objectLock({
    target: `gs://${bucketName}/${key}`,
    adapter: 'gcs',
    describe: error => describeFailure(failureOf(error)),
    store: {
      read: async () => {
        let generation: string
        try {
          const [metadata] = await bucket.file(key).getMetadata()
          generation = String(metadata.generation)
        } catch (error) {
          if (failureOf(error).status === 404 && await bucketExists()) return undefined
          throw error
        }
        try {
          const [body] = await bucket.file(key, { generation }).download()
          return { text: body.toString(), version: generation }
        } catch (error) {
          // Replaced or removed between the two requests: as read now, it is a changed object.
          if (failureOf(error).status === 404) return { text: '', version: generation }
          throw error
        }
      },
      create: async text => await write(text, '0'),
      replace: async (text, generation) => await write(text, generation),
      remove: async generation => {
        try {
          await bucket.file(key).delete({ ifGenerationMatch: generation })
        } catch (error) {
          // Gone, or replaced by a take-over: either way this lease holds nothing now.
          const status = failureOf(error).status
          if (status !== 404 && status !== 412) throw error
        }
      }
    }
  })

  async function bucketExists (): Promise<boolean> {
    const [exists] = await bucket.exists()
    return exists
  }
}
