import { lstat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { RestorableSink } from '../contracts/sink.ts'
import { changedSince } from './changed-since.ts'
import { checkRoot, type DirectorySinkOptions } from './directory-delete-sink.ts'
import { moveFileNoClobber } from './move-file.ts'
import { perKey } from './per-key.ts'
import { removeEmptyParents } from './remove-empty-parents.ts'
import { keyPath, WORK_DIRECTORY } from './store-path.ts'

export interface DirectoryQuarantineSinkOptions extends DirectorySinkOptions {
  /** Where quarantined files go, under the same relative path; same file system for a cheap move. @default `<root>/.keydiff/trash` */
  trash?: string
}

async function exists (path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/**
 * Moves files of a directory store into a trash directory, keeping their relative paths
 * and times; `restore` moves them back. Neither ever overwrites a file: a quarantined copy
 * already in the trash, or a new file where one is restored, is reported and left alone.
 */
export function directoryQuarantineSink (options: DirectoryQuarantineSinkOptions): RestorableSink {
  const root = checkRoot(options, 'directoryQuarantineSink')
  const trash = resolve(options.trash ?? join(root, WORK_DIRECTORY, 'trash'))
  const checkUnchanged = options.checkUnchanged ?? true
  const prune = options.removeEmptyDirectories ?? true
  return {
    name: `quarantine:dir:${root}`,
    action: 'quarantine',
    maxBatch: 1000,
    apply: async (batch, applyOptions) => await perKey(batch, async entry => {
      const from = keyPath(root, entry.key)
      const to = keyPath(trash, entry.key)
      let stats
      try {
        stats = await lstat(from)
      } catch (error) {
        // already quarantined, or gone: nothing left to act on
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw error
      }
      const changed = changedSince(entry, stats)
      if (changed !== undefined && (checkUnchanged || changed === 'not a regular file')) return changed
      if (!await moveFileNoClobber(from, to)) return `a quarantined copy already exists at ${to}`
      if (prune) await removeEmptyParents(root, from)
      return undefined
    }, applyOptions?.signal),
    restore: async (batch, applyOptions) => await perKey(batch, async entry => {
      const from = keyPath(trash, entry.key)
      const to = keyPath(root, entry.key)
      if (!await exists(from)) return await exists(to) ? undefined : `not in the quarantine at ${trash}`
      if (!await moveFileNoClobber(from, to)) return `a file is in the way at ${to}`
      if (prune) await removeEmptyParents(trash, from)
      return undefined
    }, applyOptions?.signal)
  }
}
