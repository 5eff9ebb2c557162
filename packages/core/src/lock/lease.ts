import type { LockAcquireOptions, LockInfo, LockLease } from '../contracts/lock.ts'
import { InvalidOptionError, KeydiffError, LockError } from '../errors.ts'

/** A lease's length when `acquire` is given no `ttl`: 60 s, renewed every 20 s. */
export const DEFAULT_LOCK_TTL = 60_000

/** What `acquire` was asked for, checked. */
export interface LeaseTerms {
  readonly ttl: number
  readonly renew: boolean
}

/** Reads `ttl` and `renew` from acquire's options, with their defaults. */
export function leaseTerms (options: LockAcquireOptions): LeaseTerms {
  const ttl = options.ttl ?? DEFAULT_LOCK_TTL
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 30) {
    throw new InvalidOptionError('ttl', `a lease lasts at least 30 ms (it renews every ttl / 3), got ${String(ttl)}`)
  }
  return { ttl, renew: options.renew !== false }
}

/** When a lease of `ttl` ms renewed now runs out, as an ISO time. */
export function leaseExpiry (ttl: number, now = Date.now()): string {
  return new Date(now + ttl).toISOString()
}

/** Whether a holder's lease has run out by `now`; a record without an expiry never does. */
export function leaseExpired (holder: LockInfo | undefined, now = Date.now()): boolean {
  if (holder?.expiresAt === undefined) return false
  const at = Date.parse(holder.expiresAt)
  return !Number.isNaN(at) && at <= now
}

/** How a lock keeps one lease: the storage side of {@link keepLease}. */
export interface LeaseHold {
  /**
   * Moves this lease's expiry to `expiresAt`. Resolves false when the lock is no longer this
   * lease's (taken over, removed, its session gone); rejects when the storage failed and
   * whether the lease still holds is unknown.
   */
  renew: (expiresAt: string) => Promise<boolean>
  /** Frees the lock if it is still this lease's. */
  release: () => Promise<void>
}

export interface KeepLeaseOptions {
  /** The holder, with the expiry it was taken with. */
  info: LockInfo
  takenOver: LockInfo | undefined
  terms: LeaseTerms
  hold: LeaseHold
  /** Names the adapter in the LockError that reports a lost lease. */
  adapter?: string
}

/**
 * A lease that renews itself every `ttl / 3` while held (on an unref'd timer, so a held lock
 * never keeps a process alive) and reports its loss through `signal`. A renewal the storage
 * failed is tried again on the next tick as long as the lease would still run then; once it
 * would not, or as soon as a renewal finds the lock is no longer this lease's, the lease is
 * lost, before anyone else can take the lock by expiry. `release` waits for a renewal in
 * flight, so a late renewal never writes the lock back after it was freed.
 */
export function keepLease (options: KeepLeaseOptions): LockLease {
  const { info, takenOver, terms, hold, adapter } = options
  const interval = Math.max(10, Math.floor(terms.ttl / 3))
  const controller = new AbortController()
  let expiresAt = Date.parse(info.expiresAt ?? '') || Date.now() + terms.ttl
  let state: 'held' | 'lost' | 'released' = 'held'
  let timer: NodeJS.Timeout | undefined
  let renewing: Promise<void> | undefined

  const lose = (reason: string, cause?: unknown): void => {
    if (state !== 'held') return
    state = 'lost'
    const error = cause instanceof KeydiffError && cause.code === 'KEYDIFF_LOCK_FAILED'
      ? cause
      : new LockError(`the lease of ${info.owner} was lost: ${reason}`, { adapter, target: info.target, cause })
    controller.abort(error)
  }

  const schedule = (): void => {
    timer = setTimeout(() => { renewing = renewOnce().finally(() => { renewing = undefined }) }, interval)
    timer.unref()
  }

  const renewOnce = async (): Promise<void> => {
    const next = Date.now() + terms.ttl
    let mine: boolean
    try {
      mine = await hold.renew(new Date(next).toISOString())
    } catch (error) {
      if (state !== 'held') return
      if (Date.now() + interval < expiresAt) schedule()
      else lose(`renewing failed and the lease runs out at ${new Date(expiresAt).toISOString()}: ${(error as Error).message}`, error)
      return
    }
    if (state !== 'held') return
    if (!mine) {
      lose('another holder has the lock now')
      return
    }
    expiresAt = next
    schedule()
  }

  if (terms.renew) schedule()
  return {
    info,
    takenOver,
    signal: controller.signal,
    release: async () => {
      if (state === 'released') return
      state = 'released'
      clearTimeout(timer)
      await renewing
      await hold.release()
    }
  }
}
