import { lstat } from 'node:fs/promises'
import { InvalidOptionError } from '../errors.ts'

/**
 * Refuses a path that exists and is not a regular file. A plan is renamed into place, so a
 * device (`/dev/full`), a directory or a symlink there would be replaced or followed; an
 * audit log that is a device reads as endless bytes.
 */
export async function refuseNonFile (path: string, option: string, what: string): Promise<void> {
  let stats
  try {
    stats = await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw error
  }
  if (!stats.isFile()) throw new InvalidOptionError(option, `${what} at ${path} would replace something that is not a regular file (${stats.isSymbolicLink() ? 'a symbolic link' : stats.isDirectory() ? 'a directory' : 'a device, socket or pipe'})`)
}
