import type { Client } from 'minio'
import type { Lock } from '@keydiff/core'
import { objectLock } from '@keydiff/core/adapter'

export interface MinioLockOptions {
  /** The user's `Minio.Client`. Required. */
  client: Client
  /** Bucket that holds the lock object. Required. */
  bucket: string
  /** The lock object's key; under `.keydiff/` a plan never lists it. @default '.keydiff/lock' */
  key?: string
}

function codeOf (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * An exclusive lock held as an object in the bucket, with a lease (see core's `objectLock`):
 * two hosts sweeping one bucket are kept apart, which a lock file in each host's work
 * directory cannot do. It is created with `If-None-Match: *` and taken over or renewed with
 * `If-Match: <ETag>` (headers the minio client passes through on putObject), which MinIO
 * honours since RELEASE.2024-08 (If-None-Match) and RELEASE.2024-11 (If-Match): two sweeps
 * racing cannot both win. An older MinIO, and the s3rver stand-in the tests run against,
 * ignore the headers; there the lock reads each write back, which narrows the race but cannot
 * close it. The object is read with statObject (its ETag) and then getObject, and released
 * with an unconditional removeObject after checking it is still this lease's (the client has
 * no conditional delete).
 */
export function minioLock (options: MinioLockOptions): Lock {
  if (options?.client === undefined || typeof options.client.putObject !== 'function') throw new TypeError('[keydiff] [minio] minioLock: options.client must be a Minio.Client')
  if (typeof options.bucket !== 'string' || options.bucket === '') throw new TypeError('[keydiff] [minio] minioLock: options.bucket is required')
  const { client, bucket } = options
  const key = options.key ?? '.keydiff/lock'

  const put = async (text: string, condition: Record<string, string>): Promise<string | undefined> => {
    try {
      const written = await client.putObject(bucket, key, Buffer.from(text), undefined, { 'Content-Type': 'application/json', ...condition })
      return written.etag
    } catch (error) {
      if (codeOf(error) === 'PreconditionFailed') return undefined
      throw error
    }
  }

  return objectLock({
    target: `minio://${bucket}/${key}`,
    adapter: 'minio',
    describe: error => `${codeOf(error) ?? 'Error'}: ${(error as Error).message}`,
    store: {
      read: async () => {
        let etag: string
        try {
          etag = (await client.statObject(bucket, key)).etag
        } catch (error) {
          // A HEAD answers NotFound for a missing bucket too: that is a failure, not a free lock.
          if ((codeOf(error) === 'NotFound' || codeOf(error) === 'NoSuchKey') && await client.bucketExists(bucket)) return undefined
          throw error
        }
        try {
          const chunks: Buffer[] = []
          for await (const chunk of await client.getObject(bucket, key)) chunks.push(chunk as Buffer)
          return { text: Buffer.concat(chunks).toString('utf8'), version: etag }
        } catch (error) {
          // Removed between the two requests: as read now, a changed object.
          if (codeOf(error) === 'NoSuchKey') return { text: '', version: etag }
          throw error
        }
      },
      create: async text => await put(text, { 'If-None-Match': '*' }),
      replace: async (text, etag) => await put(text, { 'If-Match': `"${etag}"` }),
      remove: async () => { await client.removeObject(bucket, key) }
    }
  })
}
