/** Who holds a lock, recorded when it is taken. */
export interface LockInfo {
  readonly target: string
  readonly owner: string
  readonly host: string
  readonly pid: number
  /** ISO time. */
  readonly startedAt: string
  /**
   * ISO time, by the holder's clock, when the lease runs out unless its holder renews it
   * first; past it the lock is free to take without `force`. Absent in a record written by a
   * lock without leases (keydiff before 0.2), which therefore never expires.
   */
  readonly expiresAt?: string
}

export interface LockAcquireOptions {
  /** Take the lock over from its holder (stale or foreign); the lease reports whom it displaced. @default false */
  force?: boolean
  /** Recorded as the owner. @default `${user}@${host}` */
  owner?: string
  /**
   * How long the lease lasts without renewal, in ms. A lease renews itself every `ttl / 3`
   * while held, so a holder that dies or hangs leaves a lock that the next acquirer takes,
   * without `force`, at most `ttl` after its last renewal. Clocks of the hosts involved must
   * agree to well within `ttl`. @default 60000
   */
  ttl?: number
  /**
   * Whether the lease renews itself. `false` lets it run out after `ttl` as a holder that
   * died would: for tests of what follows. @default true
   */
  renew?: boolean
}

export interface LockLease {
  /** This holder, with the expiry the lease was taken with. */
  readonly info: LockInfo
  /**
   * The holder this lease displaced: by `force`, or because that holder's lease had run out
   * (then its `expiresAt` is in the past).
   */
  readonly takenOver?: LockInfo | undefined
  /**
   * Aborted, with a LockError (KEYDIFF_LOCK_FAILED) as its reason, once the lease is lost: a
   * renewal found another holder, or the lock's storage kept failing until the lease could
   * run out. Whoever acts under the lock stops then. Releasing does not abort it.
   */
  readonly signal: AbortSignal
  /** Stops renewing and frees the lock if it is still this lease's; harmless twice. */
  release: () => Promise<void>
}

/**
 * One sweep per target at a time. `acquire` fails with LockHeldError (KEYDIFF_LOCK_HELD)
 * naming the holder while that holder's lease runs, unless `force` is set; it fails with
 * LockError (KEYDIFF_LOCK_FAILED) when the lock's storage fails.
 */
export interface Lock {
  readonly target: string
  acquire: (options?: LockAcquireOptions) => Promise<LockLease>
}
