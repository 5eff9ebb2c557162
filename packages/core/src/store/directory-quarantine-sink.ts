import { join, resolve } from 'node:path'
import type { RestorableSink } from '../contracts/sink.ts'
import { changedSince } from './changed-since.ts'
import { checkRoot, fileLocation, type DirectorySinkOptions } from './directory-delete-sink.ts'
import { missingFileReason } from './missing-file.ts'
import { moveFileNoClobber } from './move-file.ts'
import { fileInside, lstatOrUndefined, type FilePlace } from './no-follow.ts'
import { perKey } from './per-key.ts'
import { removeEmptyParents } from './remove-empty-parents.ts'
import { WORK_DIRECTORY } from './store-path.ts'

export interface DirectoryQuarantineSinkOptions extends DirectorySinkOptions {
  /** Where quarantined files go, under the same relative path; same file system for a cheap move. @default `<root>/.keydiff/trash` */
  trash?: string
}

/**
 * Moves files of a directory store into a trash directory, keeping their relative paths
 * and times; `restore` moves them back. Neither ever overwrites a file, nor follows a
 * symbolic link below the root or the trash. Both can be run again after a crash at any
 * point: a move found half done (the file in both places, as one inode or as two identical
 * copies) is finished, and only a different file in the way is reported and left alone.
 */
export function directoryQuarantineSink (options: DirectoryQuarantineSinkOptions): RestorableSink {
  const root = checkRoot(options, 'directoryQuarantineSink')
  const store: FilePlace = { base: root, below: [] }
  const trash: FilePlace = options.trash === undefined ? { base: root, below: [WORK_DIRECTORY, 'trash'] } : { base: resolve(options.trash), below: [] }
  const trashDirectory = join(trash.base, ...trash.below)
  const checkUnchanged = options.checkUnchanged ?? true
  const prune = options.removeEmptyDirectories ?? true
  const present = async (place: FilePlace, key: string): Promise<string | undefined> => {
    const path = await fileInside(place, key, false)
    return path !== undefined && await lstatOrUndefined(path) !== undefined ? path : undefined
  }
  return {
    name: `quarantine:dir:${root}`,
    action: 'quarantine',
    maxBatch: 1000,
    store: fileLocation(root),
    trash: fileLocation(trashDirectory),
    apply: async (batch, applyOptions) => await perKey(batch, async entry => {
      const from = await fileInside(store, entry.key, false)
      const stats = from === undefined ? undefined : await lstatOrUndefined(from)
      if (from === undefined || stats === undefined) {
        // already quarantined, or gone: nothing left to act on
        return await present(trash, entry.key) === undefined ? missingFileReason(entry.key) : undefined
      }
      const changed = changedSince(entry, stats)
      if (changed !== undefined && (checkUnchanged || changed === 'not a regular file')) return changed
      const to = await fileInside(trash, entry.key, true) as string
      if (!await moveFileNoClobber(from, to)) return `a different file already exists in the quarantine at ${to}`
      if (prune) await removeEmptyParents(root, from)
      return undefined
    }, applyOptions?.signal),
    restore: async (batch, applyOptions) => await perKey(batch, async entry => {
      const from = await present(trash, entry.key)
      if (from === undefined) return await present(store, entry.key) === undefined ? `not in the quarantine at ${trashDirectory}` : undefined
      if (!(await lstatOrUndefined(from))?.isFile()) return `${from} is not a regular file`
      const to = await fileInside(store, entry.key, true) as string
      if (!await moveFileNoClobber(from, to)) return `a different file is in the way at ${to}`
      if (prune) await removeEmptyParents(trashDirectory, from)
      return undefined
    }, applyOptions?.signal)
  }
}
