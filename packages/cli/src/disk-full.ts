import { KeydiffError } from '@keydiff/core'

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT'])

/** `error` or the first of its causes that a full disk or quota raised, with the path when Node gave one. */
function noSpace (error: unknown): NodeJS.ErrnoException | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (NO_SPACE.has(String((e as NodeJS.ErrnoException).code))) return e as NodeJS.ErrnoException
  }
  return undefined
}

/** The disk of `path` is full: KEYDIFF_DISK_FULL naming the path, in one line. */
export function diskFullError (path: string, error: unknown): KeydiffError {
  const code = noSpace(error)?.code ?? 'ENOSPC'
  return new KeydiffError(`${path}: no space left on its disk (${code}); free space there or write to another disk`, 'KEYDIFF_DISK_FULL', { cause: error })
}

/**
 * What a command threw, with a full disk turned into KEYDIFF_DISK_FULL, so that no
 * `Error: ENOSPC` and no stack trace reaches the user. An error that already has a code
 * (core names the path where it knows it) is kept; a bare Node error names its path when
 * it has one.
 */
export function asDiskFull (error: unknown): unknown {
  if (error instanceof KeydiffError && error.code === 'KEYDIFF_DISK_FULL') return error
  const cause = noSpace(error)
  if (cause === undefined) return error
  return diskFullError(cause.path ?? (error instanceof KeydiffError ? error.message.replace(/^\[keydiff\] /, '').replace(/\r?\n[\s\S]*$/, '') : 'a file being written'), error)
}

/** Whether `error` (or a cause of it) is a full disk or quota. */
export function isNoSpace (error: unknown): boolean {
  return noSpace(error) !== undefined
}
