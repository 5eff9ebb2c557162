/** Who holds a lock, recorded when it is taken. */
export interface LockInfo {
  readonly target: string
  readonly owner: string
  readonly host: string
  readonly pid: number
  /** ISO time. */
  readonly startedAt: string
}

export interface LockAcquireOptions {
  /** Take the lock over from its holder (stale or foreign); the lease reports whom it displaced. @default false */
  force?: boolean
  /** Recorded as the owner. @default `${user}@${host}` */
  owner?: string
}

export interface LockLease {
  readonly info: LockInfo
  /** Set when `force` displaced another holder. */
  readonly takenOver?: LockInfo | undefined
  release: () => Promise<void>
}

/**
 * One sweep per target at a time. `acquire` fails with LockHeldError (KEYDIFF_LOCK_HELD)
 * naming the holder, unless `force` is set.
 */
export interface Lock {
  readonly target: string
  acquire: (options?: LockAcquireOptions) => Promise<LockLease>
}
