import { randomUUID } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { KeydiffError, LockError, LockHeldError, type Lock, type LockAcquireOptions, type LockInfo, type LockLease } from '@keydiff/core'
import { s3Url } from './location.ts'
import { errorMessage, errorName, httpStatus } from './retry.ts'

export interface S3LockOptions {
  /** Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** The lock object's key; protect it from the sweep. @default '.keydiff.lock' */
  key?: string
}

interface LockBody extends LockInfo {
  readonly token: string
}

/**
 * An exclusive lock held as an object in the bucket, holding owner, host, pid and start.
 *
 * It is created with a conditional write (`If-None-Match: *`), which S3 (since 2024), MinIO,
 * R2 and recent Ceph refuse with 412 when the object exists: two sweeps racing for it cannot
 * both win. A store that ignores the header (s3rver, older MinIO and Ceph) overwrites
 * instead; for those the lock first checks that no lock object exists and reads its own
 * write back, which narrows the race to the moment between that check and the write but
 * cannot close it. `force` overwrites unconditionally and reports whom it displaced.
 */
export function s3Lock (options: S3LockOptions): Lock {
  const { client, bucket } = options
  const key = options.key ?? '.keydiff.lock'
  const target = s3Url(bucket, key)

  const fail = (what: string, error: unknown): KeydiffError =>
    new LockError(`${what} the lock failed: ${errorMessage(error)}`, { adapter: 's3', target, cause: error })

  const read = async (): Promise<LockBody | undefined> => {
    try {
      const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      const text = await output.Body?.transformToString() ?? ''
      try {
        return JSON.parse(text) as LockBody
      } catch {
        return { target, owner: 'unknown (the lock object is not keydiff JSON)', host: '?', pid: 0, startedAt: '?', token: '' }
      }
    } catch (error) {
      if (errorName(error) === 'NoSuchKey' || httpStatus(error) === 404) return undefined
      throw fail('reading', error)
    }
  }

  const write = async (body: LockBody, conditional: boolean): Promise<boolean> => {
    try {
      await client.send(new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(body),
        ContentType: 'application/json',
        IfNoneMatch: conditional ? '*' : undefined
      }))
      return true
    } catch (error) {
      if (httpStatus(error) === 412 || errorName(error) === 'PreconditionFailed' || errorName(error) === 'ConditionalRequestConflict') return false
      throw fail('writing', error)
    }
  }

  const info = (body: LockBody): LockInfo => ({ target: body.target, owner: body.owner, host: body.host, pid: body.pid, startedAt: body.startedAt })

  return {
    target,
    async acquire (acquireOptions: LockAcquireOptions = {}): Promise<LockLease> {
      const host = hostname()
      const body: LockBody = {
        target,
        owner: acquireOptions.owner ?? `${userInfo().username}@${host}`,
        host,
        pid: process.pid,
        startedAt: new Date().toISOString(),
        token: randomUUID()
      }
      const held = await read()
      let takenOver: LockInfo | undefined
      if (acquireOptions.force === true) {
        takenOver = held === undefined ? undefined : info(held)
        await write(body, false)
      } else {
        if (held !== undefined) throw new LockHeldError(target, info(held))
        if (!await write(body, true)) throw new LockHeldError(target, await read().then(now => now === undefined ? undefined : info(now)))
        const now = await read()
        if (now?.token !== body.token) throw new LockHeldError(target, now === undefined ? undefined : info(now))
      }
      let released = false
      return {
        info: info(body),
        takenOver,
        async release () {
          if (released) return
          released = true
          const now = await read()
          // A lease displaced by `force` must not remove its successor's lock.
          if (now?.token !== body.token) return
          try {
            await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
          } catch (error) {
            throw fail('removing', error)
          }
        }
      }
    }
  }
}
