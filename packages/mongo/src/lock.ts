import { createHash, randomUUID } from 'node:crypto'
import { hostname, userInfo } from 'node:os'
import { ObjectId, type Collection, type MongoClient } from 'mongodb'
import { InvalidOptionError, KeydiffError, LockError, LockHeldError, type Lock, type LockInfo, type LockLease } from '@keydiff/core'

export interface MongoLockOptions {
  client: MongoClient
  /** What the lock guards, e.g. `sweep:mongo-datastores`; one holder per target. */
  target: string
  /** Database of the lock collection. @default 'keydiff' */
  database?: string
  /** Collection of lock documents. @default 'keydiff_locks' */
  collection?: string
}

interface LockDocument extends LockInfo {
  _id: ObjectId
  /** Tells this lease from a later one on the same target, so a displaced holder cannot release its successor. */
  token: string
}

/**
 * An exclusive lock held as one document per target. Its `_id` is derived from the target
 * (the first 12 bytes of SHA-256), so the always-unique `_id` index refuses a second holder
 * on every server; a unique index on `target` says the same for people reading the
 * collection. `force` replaces the holder's document and reports it.
 */
export function mongoLock (options: MongoLockOptions): Lock {
  const { client, target } = options
  if (typeof target !== 'string' || target === '') throw new InvalidOptionError('target', 'name what the lock guards')
  const where = `mongo:${options.database ?? 'keydiff'}.${options.collection ?? 'keydiff_locks'}`
  const id = new ObjectId(createHash('sha256').update(target).digest().subarray(0, 12))
  let indexed = false

  const collection = async (): Promise<Collection<LockDocument>> => {
    const coll = client.db(options.database ?? 'keydiff').collection<LockDocument>(options.collection ?? 'keydiff_locks')
    if (!indexed) {
      await coll.createIndex({ target: 1 }, { unique: true, name: 'keydiff_lock_target' })
      indexed = true
    }
    return coll
  }

  return {
    target,
    acquire: async (acquireOptions = {}) => {
      const info: LockInfo = {
        target,
        owner: acquireOptions.owner ?? defaultOwner(),
        host: hostname(),
        pid: process.pid,
        startedAt: new Date().toISOString()
      }
      const document: LockDocument = { _id: id, ...info, token: randomUUID() }
      let takenOver: LockInfo | undefined
      try {
        const coll = await collection()
        if (acquireOptions.force === true) {
          const previous = await coll.findOneAndReplace({ _id: id }, document, { upsert: true, returnDocument: 'before' })
          if (previous !== null) takenOver = toInfo(previous)
        } else {
          // Two tries: the holder may release between our refused insert and our read.
          for (let attempt = 0; ; attempt++) {
            try {
              await coll.insertOne(document)
              break
            } catch (error) {
              if ((error as { code?: unknown }).code !== 11000) throw error
              const holder = await coll.findOne({ _id: id })
              if (holder !== null || attempt > 0) throw new LockHeldError(`${target} (${where})`, holder === null ? undefined : toInfo(holder))
            }
          }
        }
      } catch (error) {
        if (error instanceof KeydiffError) throw error
        throw new LockError(`locking in ${where} failed: ${(error as Error).message}`, { adapter: 'mongo', target, cause: error })
      }
      const lease: LockLease = {
        info,
        takenOver,
        release: async () => {
          const coll = await collection()
          await coll.deleteOne({ _id: id, token: document.token })
        }
      }
      return lease
    }
  }
}

function toInfo (document: LockDocument): LockInfo {
  return { target: document.target, owner: document.owner, host: document.host, pid: document.pid, startedAt: document.startedAt }
}

function defaultOwner (): string {
  let user = 'unknown'
  try {
    user = userInfo().username
  } catch {}
  return `${user}@${hostname()}`
}
