import { brandError, KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/** The spill directory ran out of space (ENOSPC, EDQUOT); names the directory. */
export class DiskFullError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.DiskFullError')
  }

  readonly directory: string

  constructor (directory: string, written: number, options: KeydiffErrorOptions = {}) {
    super(`the spill directory ${directory} ran out of disk space after ${written} bytes; free space there, point tmpdir (--tmpdir) at a larger disk, or raise the memory budget`, 'KEYDIFF_DISK_FULL', options)
    this.name = 'DiskFullError'
    this.directory = directory
  }
}

/** A file keydiff writes (a plan, an audit log, an output) could not be written: its disk or quota is full. Names the file. */
export class NoSpaceError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.NoSpaceError')
  }

  readonly path: string

  constructor (what: string, path: string, options: KeydiffErrorOptions = {}) {
    const code = (options.cause as NodeJS.ErrnoException | undefined)?.code ?? 'ENOSPC'
    super(`${what} ${path}: no space left on its disk (${code}); free space there or write it to another disk`, 'KEYDIFF_DISK_FULL', options)
    this.name = 'NoSpaceError'
    this.path = path
  }
}

/** A NoSpaceError naming `path` when `error` is ENOSPC or EDQUOT; any other error unchanged. */
export function noSpaceAt<T> (error: T, what: string, path: string): T | NoSpaceError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' ? new NoSpaceError(what, path, { cause: error }) : error
}

/** Spill file I/O failed for another reason than a full disk; names the directory. */
export class SpillError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.SpillError')
  }

  constructor (directory: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`spill directory ${directory}: ${message}`, 'KEYDIFF_SPILL_FAILED', options)
    this.name = 'SpillError'
  }
}

/** A spill file ended before what was written to it. */
export function truncatedSpillFile (path: string): KeydiffError {
  return new KeydiffError(`spill file ${path} is truncated`, 'KEYDIFF_SPILL_FAILED')
}

/** Names a spill I/O failure: DiskFullError when the disk is full, else SpillError. */
export function asDiskError (error: unknown, directory: string, written: number): KeydiffError {
  if (error instanceof KeydiffError) return error
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DiskFullError(directory, written, { cause: error })
  return new SpillError(directory, `${code ?? 'I/O failed'}: ${(error as Error).message}`, { cause: error })
}
