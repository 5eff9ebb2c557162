import { setTimeout as sleep } from 'node:timers/promises'
import type { Lock, LockInfo, LockLease } from '../contracts/lock.ts'
import { KeydiffError, LockError, LockHeldError } from '../errors.ts'
import { keepLease, leaseExpired, leaseTerms } from './lease.ts'
import { createLockInfo } from './lock-info.ts'

/**
 * One database session of its own, holding a session lock (PostgreSQL's
 * `pg_try_advisory_lock`, MySQL's `GET_LOCK`) and the table row that records its holder.
 * Methods throw what the driver threw; {@link sessionLock} reports it.
 */
export interface LockSession {
  /** Takes the session lock if it is free, without waiting. */
  tryLock: () => Promise<boolean>
  /** The holder the table records for the target, or undefined. */
  holder: () => Promise<LockInfo | undefined>
  /** Ends the session that holds the lock (not this one), so that the lock comes free. */
  endHolder: () => Promise<void>
  /** Records `info` as the holder, tied to this session. */
  record: (info: LockInfo) => Promise<void>
  /** Moves the expiry of this session's record of `info`; false when the record is no longer this session's. */
  extend: (info: LockInfo, expiresAt: string) => Promise<boolean>
  /** Removes this session's record of `info` and frees the session lock. */
  unlock: (info: LockInfo) => Promise<void>
  /** Gives the session back to its pool; `broken` destroys it. */
  close: (broken: boolean) => void
}

export interface SessionLockOptions {
  target: string
  /** Names the lock where it is held, in errors: `postgres://db:5432/app lock s3://bucket/prefix`. */
  where: string
  /** Names the adapter in errors: `postgres`, `mysql`. */
  adapter: string
  /** Checks a session out of the user's pool, the holder table made ready. */
  open: () => Promise<LockSession>
  /** The adapter's own reading of a driver's error; a mistaken option stays KEYDIFF_INVALID_OPTION, the rest becomes a LockError. */
  describe: (error: unknown) => KeydiffError
  /** How long a take-over waits for the displaced session to end, in ms. @default 10000 */
  takeoverTimeout?: number
}

/** Codes of errors that are not the lock's storage failing: they pass through as they are. */
const OWN_CODES = new Set(['KEYDIFF_LOCK_HELD', 'KEYDIFF_INVALID_OPTION', 'KEYDIFF_ABORTED'])

/**
 * A lock on a database session, with a lease (the algorithm PostgreSQL's and MySQL's locks
 * share). The session lock lives as long as its session, so a holder that crashes frees it
 * at once; the lease adds what a session cannot tell: a holder that hangs with its
 * connection open. Renewing moves the row's `expires_at` (and keeps the session busy, so idle
 * timeouts do not end it); a lock whose lease ran out is taken without `force` as `force`
 * takes it: by ending the holder's session. A renewal that finds the session gone or the row
 * another's reports the lease lost.
 */
export function sessionLock (options: SessionLockOptions): Lock {
  const { target, where, adapter } = options
  const failure = (what: string, error: unknown): KeydiffError => {
    const described = error instanceof KeydiffError ? error : options.describe(error)
    if (OWN_CODES.has(described.code) || described.code === 'KEYDIFF_LOCK_FAILED') return described
    return new LockError(`${what} the lock failed: ${described.message.replace(/^\[keydiff\] /, '')}`, { adapter, target, cause: described })
  }

  const take = async (session: LockSession, force: boolean, owner: string | undefined, ttl: number): Promise<{ info: LockInfo, takenOver: LockInfo | undefined }> => {
    let takenOver: LockInfo | undefined
    if (!(await session.tryLock())) {
      const previous = await session.holder()
      if (!force && !leaseExpired(previous)) throw new LockHeldError(where, previous)
      await session.endHolder()
      const deadline = Date.now() + (options.takeoverTimeout ?? 10_000)
      while (!(await session.tryLock())) {
        if (Date.now() > deadline) throw new LockHeldError(where, previous)
        await sleep(50)
      }
      takenOver = previous
    }
    const info = createLockInfo(target, owner, ttl)
    await session.record(info)
    return { info, takenOver }
  }

  return {
    target,
    async acquire (acquireOptions = {}): Promise<LockLease> {
      const terms = leaseTerms(acquireOptions)
      let session: LockSession
      try {
        session = await options.open()
      } catch (error) {
        throw failure('opening a session for', error)
      }
      let taken: { info: LockInfo, takenOver: LockInfo | undefined }
      try {
        taken = await take(session, acquireOptions.force === true, acquireOptions.owner, terms.ttl)
      } catch (error) {
        session.close(true)
        throw failure('taking', error)
      }
      const { info, takenOver } = taken
      return keepLease({
        info,
        takenOver,
        terms,
        adapter,
        hold: {
          renew: async expiresAt => {
            try {
              return await session.extend(info, expiresAt)
            } catch (error) {
              throw failure('renewing', error)
            }
          },
          release: async () => {
            // A displaced lease's session is gone, and with it the lock: nothing to undo.
            try {
              await session.unlock(info)
              session.close(false)
            } catch {
              session.close(true)
            }
          }
        }
      })
    }
  }
}
