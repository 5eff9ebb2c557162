import { randomUUID } from 'node:crypto'
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import type { Lock, LockAcquireOptions, LockInfo, LockLease } from '../contracts/lock.ts'
import { KeydiffError, LockError, LockHeldError } from '../errors.ts'
import { createLockInfo, parseLockInfo } from './lock-info.ts'

export interface LockFileOptions {
  /** The lock file, usually in the work directory (a store's `.keydiff/lock`). Required. */
  path: string
  /** What the lock guards, as recorded in the file and named in errors. @default `file:<path>` */
  target?: string
}

interface LockRecord extends LockInfo {
  /** Tells this lease's file from a successor's after a forced take-over. */
  readonly token: string
}

/**
 * One sweep per target at a time, through a file: the record (owner, host, pid, start) is
 * written in full to a temporary file and then hard-linked into place, so taking the lock is
 * atomic and a reader never sees a half-written holder. A held lock is never taken over
 * silently, even when its holder looks dead: that needs `force`.
 */
export function lockFile (options: LockFileOptions): Lock {
  if (options === null || typeof options !== 'object' || typeof options.path !== 'string' || options.path.length === 0) {
    throw new TypeError('lockFile: options.path is required')
  }
  const path = resolve(options.path)
  const target = options.target ?? `file:${path}`

  const readHolder = async (): Promise<LockRecord | undefined> => {
    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new LockError(`lock file ${path} cannot be read: ${(error as Error).message}`, { target, cause: error })
    }
    try {
      const value = JSON.parse(text) as { token?: unknown }
      const info = parseLockInfo(value)
      if (info !== undefined && typeof value.token === 'string') return { ...info, token: value.token }
    } catch {}
    return { target, owner: `an unreadable lock file (${text.length} bytes)`, host: '?', pid: 0, startedAt: '?', token: '' }
  }

  const acquire = async (acquireOptions: LockAcquireOptions = {}): Promise<LockLease> => {
    try {
      return await take(acquireOptions)
    } catch (error) {
      if (error instanceof KeydiffError) throw error
      throw new LockError(`cannot take the lock file ${path}: ${(error as Error).message}`, { target, cause: error })
    }
  }

  const take = async (acquireOptions: LockAcquireOptions): Promise<LockLease> => {
    const record: LockRecord = { ...createLockInfo(target, acquireOptions.owner), token: randomUUID() }
    const staging = `${path}.${record.token}.tmp`
    await mkdir(dirname(path), { recursive: true })
    await writeFile(staging, JSON.stringify(record) + '\n', { flag: 'wx' })
    let takenOver: LockInfo | undefined
    try {
      try {
        await link(staging, path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
        const holder = await readHolder()
        if (acquireOptions.force !== true) throw new LockHeldError(target, holder)
        // rename replaces the holder's file atomically: no instant where the lock is free
        await rename(staging, path)
        if (holder !== undefined) {
          const { token: _, ...info } = holder
          takenOver = info
        }
      }
    } finally {
      await unlink(staging).catch(() => {})
    }
    const { token, ...info } = record
    let released = false
    return {
      info,
      takenOver,
      release: async () => {
        if (released) return
        released = true
        const current = await readHolder()
        // after a forced take-over the file is the successor's: leave it
        if (current?.token === token) await unlink(path).catch(() => {})
      }
    }
  }

  return { target, acquire }
}
