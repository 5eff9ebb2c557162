import { constants } from 'node:fs'
import { copyFile, link, mkdir, stat, unlink, utimes } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Moves a file without ever replacing one at the destination: a hard link fails when the
 * destination exists, where a rename would silently overwrite it. Across file systems the
 * file is copied (exclusively, keeping its times) and then removed. Returns false when the
 * destination already exists; when the source cannot be removed, the copy is removed again.
 */
export async function moveFileNoClobber (from: string, to: string): Promise<boolean> {
  await mkdir(dirname(to), { recursive: true })
  try {
    await link(from, to)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP') throw error
    try {
      await copyFile(from, to, constants.COPYFILE_EXCL)
    } catch (copyError) {
      if ((copyError as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw copyError
    }
    const times = await stat(from)
    await utimes(to, times.atime, times.mtime)
  }
  try {
    await unlink(from)
  } catch (error) {
    // the source stays (immutable, read-only directory): take the copy back, so a retry starts clean
    await unlink(to).catch(() => {})
    throw error
  }
  return true
}
