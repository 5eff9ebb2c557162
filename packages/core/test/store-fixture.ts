import { execFile } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { promisify } from 'node:util'
import type { KeyEntry } from '@keydiff/core'

const run = promisify(execFile)

/** A fresh directory under the system temp directory; removed by the returned function. */
export async function tempDirectory (label: string): Promise<{ path: string, remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `keydiff-${label}-`))
  return { path, remove: async () => await rm(path, { recursive: true, force: true }) }
}

/** Writes each entry as a file of its size (filled with `x`), with its lastModified as mtime. */
export async function writeEntries (root: string, entries: readonly KeyEntry[]): Promise<void> {
  for (const entry of entries) {
    const path = join(root, ...entry.key.split('/'))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'x'.repeat(entry.size ?? 1))
    if (entry.lastModified !== undefined) {
      const { utimes } = await import('node:fs/promises')
      await utimes(path, entry.lastModified, entry.lastModified)
    }
  }
}

/**
 * Makes the files of `keys` impossible to remove or move, through the file system's own
 * permissions: the immutable attribute for root (whom modes do not stop), else a read-only
 * parent directory. Returns how to undo it.
 */
export async function makeUnremovable (root: string, keys: readonly string[]): Promise<() => Promise<void>> {
  const paths = keys.map(key => join(root, ...key.split('/')))
  if (paths.length === 0) return async () => {}
  if (process.getuid?.() === 0) {
    try {
      await run('chattr', ['+i', ...paths])
    } catch (error) {
      throw new Error(`the failure tests run as root and need chattr +i (e2fsprogs, on ext4/xfs/btrfs) to make files unremovable: ${(error as Error).message}`)
    }
    return async () => { await run('chattr', ['-i', ...paths]) }
  }
  const parents = [...new Set(paths.map(path => dirname(path)))]
  for (const parent of parents) await chmod(parent, 0o555)
  return async () => { for (const parent of parents) await chmod(parent, 0o755) }
}
