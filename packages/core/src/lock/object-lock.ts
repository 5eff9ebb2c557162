import { randomUUID } from 'node:crypto'
import type { Lock, LockAcquireOptions, LockInfo, LockLease } from '../contracts/lock.ts'
import { KeydiffError, LockError, LockHeldError } from '../errors.ts'
import { keepLease, leaseExpired, leaseTerms } from './lease.ts'
import { createLockInfo, parseLockInfo } from './lock-info.ts'

/** One object's content and the version a conditional write names (an ETag, a generation). */
export interface LockObject {
  readonly text: string
  readonly version: string
}

/**
 * The lock object in an object store, for {@link objectLock}: four requests, each on the one
 * object. A method throws what the store's client threw; objectLock reports it as a LockError.
 */
export interface LockObjectStore {
  /** The object, or undefined when it does not exist (a missing bucket is a failure, not that). */
  read: () => Promise<LockObject | undefined>
  /** Creates the object only if it does not exist; its new version, or undefined when it exists. */
  create: (text: string) => Promise<string | undefined>
  /** Replaces the object only if it is still at `version`; its new version, or undefined when it changed or is gone. */
  replace: (text: string, version: string) => Promise<string | undefined>
  /** Deletes the object only if it is still at `version`; gone or changed is not a failure. */
  remove: (version: string) => Promise<void>
}

export interface ObjectLockOptions {
  /** The lock object's location, as recorded and named in errors: `s3://bucket/.keydiff/lock`. */
  target: string
  /** Names the adapter in errors: `s3`, `gcs`, `minio`. */
  adapter: string
  store: LockObjectStore
  /** How a client's error reads in a message. @default its message */
  describe?: (error: unknown) => string
}

interface LockRecord extends LockInfo {
  /** Tells this lease's object from a successor's. */
  readonly token: string
}

function withoutToken (record: LockRecord): LockInfo {
  const { token: _, ...info } = record
  return info
}

/**
 * A lock held as one object of an object store (S3, MinIO, GCS), with a lease: read, then
 * created only if absent, taken over (by `force`, or because its lease ran out) by replacing exactly the
 * version that was read, renewed by replacing its own version, released by deleting it. Each
 * write is conditional, so two acquirers racing cannot both win on a store that honours the
 * conditions; for one that ignores them (s3rver, older MinIO and Ceph) every write is read
 * back and checked for this lease's token, which narrows the race but cannot close it.
 */
export function objectLock (options: ObjectLockOptions): Lock {
  const { target, adapter, store } = options
  const describe = options.describe ?? ((error: unknown) => (error as Error).message)
  const failure = (what: string, error: unknown): KeydiffError =>
    error instanceof KeydiffError ? error : new LockError(`${what} the lock object failed: ${describe(error)}`, { adapter, target, cause: error })

  const parse = (object: LockObject): LockRecord => {
    try {
      const value = JSON.parse(object.text) as { token?: unknown }
      const info = parseLockInfo(value)
      if (info !== undefined) return { ...info, token: typeof value.token === 'string' ? value.token : '' }
    } catch {}
    return { target, owner: `unknown (the lock object is not keydiff's: ${object.text.length} bytes)`, host: '?', pid: 0, startedAt: '?', token: '' }
  }
  const read = async (): Promise<{ object: LockObject, record: LockRecord } | undefined> => {
    const object = await store.read()
    return object === undefined ? undefined : { object, record: parse(object) }
  }
  const holderNow = async (): Promise<LockInfo | undefined> => {
    const now = await read()
    return now === undefined ? undefined : withoutToken(now.record)
  }

  const take = async (acquireOptions: LockAcquireOptions): Promise<LockLease> => {
    const terms = leaseTerms(acquireOptions)
    const record: LockRecord = { ...createLockInfo(target, acquireOptions.owner, terms.ttl), token: randomUUID() }
    const text = JSON.stringify(record)
    let takenOver: LockInfo | undefined
    // Read first: a store that ignores the conditions would let a create replace a holder.
    const held = await read()
    let written: string | undefined
    if (held === undefined) {
      written = await store.create(text)
    } else {
      if (acquireOptions.force !== true && !leaseExpired(held.record)) throw new LockHeldError(target, withoutToken(held.record))
      written = await store.replace(text, held.object.version)
      takenOver = withoutToken(held.record)
    }
    if (written === undefined) throw new LockHeldError(target, await holderNow())
    const now = await read()
    if (now?.record.token !== record.token) throw new LockHeldError(target, now === undefined ? undefined : withoutToken(now.record))
    return keepLease({
      info: withoutToken(record),
      takenOver,
      terms,
      adapter,
      hold: {
        renew: async expiresAt => {
          try {
            const held = await read()
            if (held?.record.token !== record.token) return false
            return await store.replace(JSON.stringify({ ...record, expiresAt }), held.object.version) !== undefined
          } catch (error) {
            throw failure('renewing', error)
          }
        },
        release: async () => {
          try {
            const held = await read()
            // after a take-over the object is the successor's: leave it
            if (held?.record.token === record.token) await store.remove(held.object.version)
          } catch (error) {
            throw failure('removing', error)
          }
        }
      }
    })
  }

  return {
    target,
    acquire: async (acquireOptions = {}) => {
      try {
        return await take(acquireOptions)
      } catch (error) {
        throw failure('taking', error)
      }
    }
  }
}
