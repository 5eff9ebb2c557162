import { createHash } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, link, lstat, open, stat, unlink, utimes } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

/**
 * Moves a file without ever replacing another: a hard link fails when the destination
 * exists, where a rename would silently overwrite it. Across file systems the file is copied
 * under a temporary name (keeping its times) and linked into place whole. Returns false when
 * a different file is at the destination.
 *
 * Every step can be run again after a crash between them (SIGKILL after the link or the copy,
 * before the removal): a destination that already is the same file, a hard link to it or a
 * copy of the same size and bytes, completes the move by removing the source. When the
 * source cannot be removed, a copy this call made is removed again, so a retry starts clean.
 */
export async function moveFileNoClobber (from: string, to: string): Promise<boolean> {
  let made = false
  try {
    await link(from, to)
    made = true
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      if (!await sameFile(from, to)) return false
    } else if (code === 'EXDEV' || code === 'EPERM' || code === 'ENOTSUP') {
      const copied = await copyNoClobber(from, to)
      if (copied === 'different') return false
      made = copied === 'copied'
    } else {
      throw error
    }
  }
  try {
    await unlink(from)
  } catch (error) {
    // gone already (a second run of the same move): the destination holds it
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return true
    // the source stays (immutable, read-only directory): take the copy back
    if (made) await unlink(to).catch(() => {})
    throw error
  }
  return true
}

/**
 * Copies `from` to `to` across file systems, so that `to` only ever appears complete: the
 * bytes go to a temporary name beside it (one name per destination, so a copy a crash left
 * half-written is replaced by the next run), then are linked into place.
 */
async function copyNoClobber (from: string, to: string): Promise<'copied' | 'same' | 'different'> {
  const partial = join(dirname(to), `.keydiff-copy-${createHash('sha256').update(basename(to)).digest('hex').slice(0, 16)}`)
  await unlink(partial).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error })
  await copyFile(from, partial, constants.COPYFILE_EXCL)
  try {
    const times = await stat(from)
    await utimes(partial, times.atime, times.mtime)
    try {
      await link(partial, to)
      return 'copied'
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      return await sameFile(from, to) ? 'same' : 'different'
    }
  } finally {
    await unlink(partial).catch(() => {})
  }
}

const COMPARE_BYTES = 1024 * 1024

/**
 * Whether two paths are one file: the same inode (a hard link), or two regular files of the
 * same size and the same bytes (a copy across file systems). A link or anything else that is
 * not a regular file is never the same.
 */
export async function sameFile (a: string, b: string): Promise<boolean> {
  const [first, second] = await Promise.all([lstat(a), lstat(b)])
  if (!first.isFile() || !second.isFile()) return false
  if (first.dev === second.dev && first.ino === second.ino) return true
  if (first.size !== second.size) return false
  const [one, two] = await Promise.all([open(a, constants.O_RDONLY | constants.O_NOFOLLOW), open(b, constants.O_RDONLY | constants.O_NOFOLLOW)])
  try {
    const left = Buffer.allocUnsafe(COMPARE_BYTES)
    const right = Buffer.allocUnsafe(COMPARE_BYTES)
    for (;;) {
      const [x, y] = await Promise.all([one.read(left, 0, COMPARE_BYTES, null), two.read(right, 0, COMPARE_BYTES, null)])
      if (x.bytesRead !== y.bytesRead) return false
      if (x.bytesRead === 0) return true
      if (!left.subarray(0, x.bytesRead).equals(right.subarray(0, y.bytesRead))) return false
    }
  } finally {
    await Promise.all([one.close(), two.close()])
  }
}
