import { KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/** The spill directory ran out of space (ENOSPC, EDQUOT); names the directory. */
export class DiskFullError extends KeydiffError {
  readonly directory: string

  constructor (directory: string, written: number, options: KeydiffErrorOptions = {}) {
    super(`the spill directory ${directory} ran out of disk space after ${written} bytes; free space there, point tmpdir (--tmpdir) at a larger disk, or raise the memory budget`, 'KEYDIFF_DISK_FULL', options)
    this.name = 'DiskFullError'
    this.directory = directory
  }
}

/** Turns a write failure into DiskFullError when the disk is full; anything else passes through. */
export function asDiskError (error: unknown, directory: string, written: number): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  return code === 'ENOSPC' || code === 'EDQUOT' ? new DiskFullError(directory, written, { cause: error }) : error
}
