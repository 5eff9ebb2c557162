import { randomUUID } from 'node:crypto'
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Lock, LockAcquireOptions, LockInfo, LockLease } from '../contracts/lock.ts'
import { KeydiffError, LockError, LockHeldError } from '../errors.ts'
import { keepLease, leaseExpired, leaseTerms } from './lease.ts'
import { createLockInfo, parseLockInfo } from './lock-info.ts'

export interface LockFileOptions {
  /** The lock file, usually in the work directory (a store's `.keydiff/lock`). Required. */
  path: string
  /** What the lock guards, as recorded in the file and named in errors. @default `file:<path>` */
  target?: string
}

interface LockRecord extends LockInfo {
  /** Tells this lease's file from a successor's after a take-over. */
  readonly token: string
}

function withoutToken (record: LockRecord): LockInfo {
  const { token: _, ...info } = record
  return info
}

/**
 * One sweep per target at a time, through a file: the record (owner, host, pid, start,
 * expiry) is written in full to a temporary file and then hard-linked into place, so taking
 * the lock is atomic and a reader never sees a half-written holder. The lease renews itself
 * by rewriting the record (a new file renamed over it); a holder whose lease ran out is taken
 * over without `force`, and of two acquirers that find it so only the one that first creates
 * the claim file `<path>.<holder's token>.takeover` takes it.
 */
export function lockFile (options: LockFileOptions): Lock {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path.length === 0) {
    throw new TypeError('lockFile: options.path is required')
  }
  const path = resolve(options.path)
  const target = options.target ?? `file:${path}`
  const failure = (what: string, error: unknown): KeydiffError =>
    error instanceof KeydiffError ? error : new LockError(`${what} the lock file ${path} failed: ${(error as Error).message}`, { target, cause: error })

  const readHolder = async (): Promise<LockRecord | undefined> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw failure('reading', error)
    }
    try {
      const value = JSON.parse(text) as { token?: unknown }
      const info = parseLockInfo(value)
      if (info !== undefined && typeof value.token === 'string') return { ...info, token: value.token }
    } catch {}
    return { target, owner: `an unreadable lock file (${text.length} bytes)`, host: '?', pid: 0, startedAt: '?', token: '' }
  }

  /** Writes `record` to a staging file of its own and hands it to `place`, removing the staging file after. */
  const staged = async (record: LockRecord, place: (staging: string) => Promise<void>): Promise<void> => {
    const staging = `${path}.${randomUUID()}.tmp`
    await writeFile(staging, JSON.stringify(record) + '\n', { flag: 'wx' })
    try {
      await place(staging)
    } finally {
      await unlink(staging).catch(() => {})
    }
  }

  const take = async (acquireOptions: LockAcquireOptions): Promise<LockLease> => {
    const terms = leaseTerms(acquireOptions)
    const record: LockRecord = { ...createLockInfo(target, acquireOptions.owner, terms.ttl), token: randomUUID() }
    let takenOver: LockInfo | undefined
    let claim: string | undefined
    await mkdir(dirname(path), { recursive: true })
    await staged(record, async staging => {
      try {
        await link(staging, path)
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      const holder = await readHolder()
      if (holder === undefined) {
        await link(staging, path)
        return
      }
      if (acquireOptions.force !== true) {
        if (!leaseExpired(holder)) throw new LockHeldError(target, holder)
        claim = `${path}.${holder.token}.takeover`
        try {
          await writeFile(claim, record.token, { flag: 'wx' })
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new LockHeldError(target, holder)
          throw error
        }
      }
      // rename replaces the holder's file atomically: no instant where the lock is free
      await rename(staging, path)
      takenOver = withoutToken(holder)
    })
    return keepLease({
      info: withoutToken(record),
      takenOver,
      terms,
      hold: {
        renew: async expiresAt => {
          try {
            const current = await readHolder()
            if (current?.token !== record.token) return false
            await staged({ ...current, expiresAt }, async staging => { await rename(staging, path) })
            return true
          } catch (error) {
            throw failure('renewing', error)
          }
        },
        release: async () => {
          if (claim !== undefined) await unlink(claim).catch(() => {})
          const current = await readHolder()
          // after a take-over the file is the successor's: leave it
          if (current?.token === record.token) await unlink(path).catch(() => {})
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
