import { createHash, randomUUID } from 'node:crypto'
import { ObjectId, type Collection, type MongoClient } from 'mongodb'
import { InvalidOptionError, KeydiffError, LockError, LockHeldError, type Lock, type LockInfo, type LockLease } from '@keydiff/core'
import { createLockInfo, keepLease, leaseExpired, leaseTerms } from '@keydiff/core/adapter'

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

/** The lock collections each client has made their index in: once is enough, and a server may block while it builds one. */
const indexedBy = new WeakMap<MongoClient, Set<string>>()

/**
 * An exclusive lock held as one document per target, with a lease. Its `_id` is derived from
 * the target (the first 12 bytes of SHA-256), so the always-unique `_id` index refuses a
 * second holder on every server; a unique index on `target` says the same for people reading
 * the collection. The lease renews itself by moving the document's `expiresAt` (matched on
 * this lease's token); a holder whose lease ran out is replaced without `force`, matched on
 * its token so that of two acquirers only one replaces it. `force` replaces the holder's
 * document whatever it holds. Either reports whom it displaced.
 */
export function mongoLock (options: MongoLockOptions): Lock {
  const { client, target } = options
  if (typeof target !== 'string' || target === '') throw new InvalidOptionError('target', 'name what the lock guards')
  const where = `mongo:${options.database ?? 'keydiff'}.${options.collection ?? 'keydiff_locks'}`
  const id = new ObjectId(createHash('sha256').update(target).digest().subarray(0, 12))
  const failure = (what: string, error: unknown): KeydiffError =>
    error instanceof KeydiffError ? error : new LockError(`${what} the lock in ${where} failed: ${(error as Error).message}`, { adapter: 'mongo', target, cause: error })

  const collection = async (): Promise<Collection<LockDocument>> => {
    const coll = client.db(options.database ?? 'keydiff').collection<LockDocument>(options.collection ?? 'keydiff_locks')
    const indexed = indexedBy.get(client) ?? new Set<string>()
    if (!indexed.has(where)) {
      await coll.createIndex({ target: 1 }, { unique: true, name: 'keydiff_lock_target' })
      indexed.add(where)
      indexedBy.set(client, indexed)
    }
    return coll
  }

  const held = (holder: LockDocument | null): LockHeldError => new LockHeldError(`${target} (${where})`, holder === null ? undefined : toInfo(holder))

  const take = async (coll: Collection<LockDocument>, document: LockDocument, force: boolean): Promise<LockInfo | undefined> => {
    if (force) {
      const previous = await coll.findOneAndReplace({ _id: id }, document, { upsert: true, returnDocument: 'before' })
      return previous === null ? undefined : toInfo(previous)
    }
    // Two tries: the holder may release between our refused insert and our read.
    for (let attempt = 0; ; attempt++) {
      try {
        await coll.insertOne(document)
        return undefined
      } catch (error) {
        if ((error as { code?: unknown }).code !== 11000) throw error
      }
      const holder = await coll.findOne({ _id: id })
      if (holder !== null && leaseExpired(holder)) {
        const previous = await coll.findOneAndReplace({ _id: id, token: holder.token }, document, { returnDocument: 'before' })
        if (previous !== null) return toInfo(previous)
        throw held(await coll.findOne({ _id: id }))
      }
      if (holder !== null || attempt > 0) throw held(holder)
    }
  }

  return {
    target,
    acquire: async (acquireOptions = {}): Promise<LockLease> => {
      const terms = leaseTerms(acquireOptions)
      const info = createLockInfo(target, acquireOptions.owner, terms.ttl)
      const document: LockDocument = { _id: id, ...info, token: randomUUID() }
      let takenOver: LockInfo | undefined
      try {
        takenOver = await take(await collection(), document, acquireOptions.force === true)
      } catch (error) {
        throw failure('taking', error)
      }
      return keepLease({
        info,
        takenOver,
        terms,
        adapter: 'mongo',
        hold: {
          renew: async expiresAt => {
            try {
              const result = await (await collection()).updateOne({ _id: id, token: document.token }, { $set: { expiresAt } })
              return result.matchedCount === 1
            } catch (error) {
              throw failure('renewing', error)
            }
          },
          release: async () => {
            try {
              await (await collection()).deleteOne({ _id: id, token: document.token })
            } catch (error) {
              throw failure('removing', error)
            }
          }
        }
      })
    }
  }
}

function toInfo (document: LockDocument): LockInfo {
  const info = { target: document.target, owner: document.owner, host: document.host, pid: document.pid, startedAt: document.startedAt }
  return typeof document.expiresAt === 'string' ? { ...info, expiresAt: document.expiresAt } : info
}
