import { join, resolve } from 'node:path'

/** The store's own work directory under its root: trash, lock, audit logs. Never listed. */
export const WORK_DIRECTORY = '.keydiff'

const MAX_SEGMENT_BYTES = 255

/**
 * Why a key cannot name a file under the root, or undefined when it can. A key never
 * escapes the root: `..`, `.`, empty segments and absolute paths are refused, so a
 * hand-edited plan cannot reach outside the store.
 */
export function unsafeKeyReason (key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'an empty key names no file'
  if (key.includes('\0')) return 'a key with a NUL character names no file'
  for (const segment of key.split('/')) {
    if (segment === '') return 'a key with an empty path segment (leading, trailing or double /) names no file'
    if (segment === '.' || segment === '..') return `a key with a ${segment} segment could leave the store`
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return `a path segment is longer than ${MAX_SEGMENT_BYTES} bytes`
  }
  if (key === WORK_DIRECTORY || key.startsWith(`${WORK_DIRECTORY}/`)) return `${WORK_DIRECTORY}/ is the store's work directory`
  return undefined
}

/** Whether a directory store can hold the key as a file. */
export function canHoldKey (key: string): boolean {
  return unsafeKeyReason(key) === undefined
}

/** The file of a key under root; call unsafeKeyReason first. */
export function keyPath (root: string, key: string): string {
  return join(resolve(root), ...key.split('/'))
}

/** The error text of a failed file operation: its code first, as stores give theirs. */
export function fsErrorText (error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  const message = error instanceof Error ? error.message : String(error)
  return code === undefined ? message : `${code}: ${message}`
}

const PERMANENT = new Set(['EACCES', 'EPERM', 'EISDIR', 'ENOTDIR', 'EROFS', 'ENAMETOOLONG', 'EINVAL'])

/** Whether trying a failed file operation again may succeed. */
export function isRetryable (error: unknown): boolean {
  return !PERMANENT.has((error as NodeJS.ErrnoException).code ?? '')
}
