import { hostname, userInfo } from 'node:os'
import type { LockInfo } from '../contracts/lock.ts'

/** `user@host`, the default lock owner; containers without a passwd entry fall back to $USER. */
export function defaultLockOwner (): string {
  let user: string
  try {
    user = userInfo().username
  } catch {
    user = process.env.USER ?? process.env.USERNAME ?? `uid${process.getuid?.() ?? '?'}`
  }
  return `${user}@${hostname()}`
}

/** What a lock records about this process when it takes `target`; with `ttl` (ms), when its lease runs out. */
export function createLockInfo (target: string, owner: string = defaultLockOwner(), ttl?: number): LockInfo {
  const now = Date.now()
  const info = { target, owner, host: hostname(), pid: process.pid, startedAt: new Date(now).toISOString() }
  return ttl === undefined ? info : { ...info, expiresAt: new Date(now + ttl).toISOString() }
}

/** Reads a LockInfo back from JSON written by another process; undefined when it is not one. */
export function parseLockInfo (value: unknown): LockInfo | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const info = value as Record<string, unknown>
  if (typeof info.target !== 'string' || typeof info.owner !== 'string' || typeof info.host !== 'string' ||
    typeof info.pid !== 'number' || typeof info.startedAt !== 'string') return undefined
  const read = { target: info.target, owner: info.owner, host: info.host, pid: info.pid, startedAt: info.startedAt }
  return typeof info.expiresAt === 'string' ? { ...read, expiresAt: info.expiresAt } : read
}
