import type { Storage } from '@google-cloud/storage'
import { InvalidOptionError, LockHeldError } from '@keydiff/core'
import { createLockInfo } from '@keydiff/core/adapter'
import type { Lock, LockAcquireOptions, LockInfo, LockLease } from '@keydiff/core'
import { failureOf } from './request.ts'

export interface GcsLockOptions {
  /** The user's client. Required. */
  storage: Storage
  /** Bucket that holds the lock object. Required. */
  bucket: string
  /** Name of the lock object; keep it out of plans with `protect`. @default 'keydiff.lock' */
  key?: string
}

function parseInfo (text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>
    if (typeof value.owner !== 'string' || typeof value.host !== 'string' || typeof value.pid !== 'number' || typeof value.startedAt !== 'string') return undefined
    return { target: String(value.target), owner: value.owner, host: value.host, pid: value.pid, startedAt: value.startedAt }
  } catch {
    return undefined
  }
}

/**
 * A lock held as an object in the bucket: taken by creating it only if absent
 * (`ifGenerationMatch=0`), taken over with `force` by replacing exactly the generation that
 * was read, and released by deleting only the generation this lease wrote, so a lease that
 * was taken over cannot remove its successor's lock. The object is written without an
 * event-based hold, so a bucket's default hold cannot pin it.
 */
export function gcsLock (options: GcsLockOptions): Lock {
  if (typeof options.bucket !== 'string' || options.bucket === '') throw new InvalidOptionError('bucket', 'a bucket name is required')
  const key = options.key ?? 'keydiff.lock'
  const target = `gs://${options.bucket}/${key}`
  const bucket = options.storage.bucket(options.bucket)

  const write = async (info: LockInfo, ifGenerationMatch: string): Promise<string> => {
    const file = bucket.file(key)
    await file.save(JSON.stringify(info), {
      resumable: false,
      metadata: { contentType: 'application/json', eventBasedHold: false },
      preconditionOpts: { ifGenerationMatch }
    })
    return String(file.metadata.generation)
  }

  const read = async (): Promise<{ generation: string, info: LockInfo | undefined } | undefined> => {
    try {
      const [metadata] = await bucket.file(key).getMetadata()
      const generation = String(metadata.generation)
      const [body] = await bucket.file(key, { generation }).download()
      return { generation, info: parseInfo(body.toString()) }
    } catch (error) {
      if (failureOf(error).status === 404) return undefined
      throw error
    }
  }

  const lease = (info: LockInfo, generation: string, takenOver: LockInfo | undefined): LockLease => ({
    info,
    takenOver,
    release: async () => {
      try {
        await bucket.file(key).delete({ ifGenerationMatch: generation })
      } catch (error) {
        // Gone, or replaced by a forced take-over: either way this lease holds nothing now.
        const status = failureOf(error).status
        if (status !== 404 && status !== 412) throw error
      }
    }
  })

  return {
    target,
    acquire: async (acquireOptions: LockAcquireOptions = {}) => {
      const info = createLockInfo(target, acquireOptions.owner)
      try {
        return lease(info, await write(info, '0'), undefined)
      } catch (error) {
        if (failureOf(error).status !== 412) throw error
      }
      const holder = await read()
      if (holder === undefined) return lease(info, await write(info, '0'), undefined)
      if (acquireOptions.force !== true) throw new LockHeldError(target, holder.info)
      try {
        return lease(info, await write(info, holder.generation), holder.info)
      } catch (error) {
        if (failureOf(error).status === 412) throw new LockHeldError(target, undefined, { cause: error })
        throw error
      }
    }
  }
}
