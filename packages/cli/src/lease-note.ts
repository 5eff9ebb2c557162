import type { LockInfo } from '@keydiff/core'

/**
 * Why a lock was taken over, for the line that reports it: a holder whose lease had run out
 * (it died or hung) was taken without --force, and the line says so; otherwise it was forced.
 */
export function leaseNote (holder: LockInfo, now = Date.now()): string {
  const expiry = holder.expiresAt === undefined ? Number.NaN : Date.parse(holder.expiresAt)
  return expiry <= now ? `; its lease had run out at ${holder.expiresAt ?? ''}` : ' (--force)'
}
