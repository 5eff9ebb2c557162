import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { Lock } from '@keydiff/core'
import { objectLock } from '@keydiff/core/adapter'
import { s3Url } from './location.ts'
import { errorMessage, errorName, httpStatus } from './retry.ts'

export interface S3LockOptions {
  /** Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** The lock object's key; under `.keydiff/` a plan never lists it. @default '.keydiff/lock' */
  key?: string
}

function changed (error: unknown): boolean {
  return httpStatus(error) === 412 || errorName(error) === 'PreconditionFailed' || errorName(error) === 'ConditionalRequestConflict'
}

/**
 * An exclusive lock held as an object in the bucket, holding owner, host, pid, start and the
 * lease's expiry; the lease renews itself while held (see core's `objectLock`), and a lock
 * whose lease ran out is taken without `force`.
 *
 * It is created with `If-None-Match: *` and replaced or renewed with `If-Match: <ETag>`,
 * which S3 (since 2024), MinIO, R2 and recent Ceph refuse with 412 when the object is not as
 * read: two sweeps racing for it cannot both win. A store that ignores the headers (s3rver,
 * older MinIO and Ceph) overwrites instead; there the lock reads each write back, which
 * narrows the race to the moment between a read and a write but cannot close it.
 */
export function s3Lock (options: S3LockOptions): Lock {
  const { client, bucket } = options
  const key = options.key ?? '.keydiff/lock'

  const put = async (body: string, condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<string | undefined> => {
    try {
      const output = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ...condition }))
      return output.ETag ?? ''
    } catch (error) {
      if (changed(error)) return undefined
      throw error
    }
  }

  return objectLock({
    target: s3Url(bucket, key),
    adapter: 's3',
    describe: errorMessage,
    store: {
      read: async () => {
        try {
          const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
          return { text: await output.Body?.transformToString() ?? '', version: output.ETag ?? '' }
        } catch (error) {
          // A missing bucket is a 404 too, and a failure of the lock's storage, not a free lock.
          if (errorName(error) === 'NoSuchKey' || (httpStatus(error) === 404 && errorName(error) !== 'NoSuchBucket')) return undefined
          throw error
        }
      },
      create: async body => await put(body, { IfNoneMatch: '*' }),
      replace: async (body, version) => await put(body, { IfMatch: version }),
      remove: async version => {
        try {
          await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, IfMatch: version }))
        } catch (error) {
          if (!changed(error) && httpStatus(error) !== 404) throw error
        }
      }
    }
  })
}
