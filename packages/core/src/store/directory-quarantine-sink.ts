import { join, resolve } from 'node:path'
import type { RestorableSink } from '../contracts/sink.ts'
import { changedSince } from './changed-since.ts'
import { checkRoot, fileLocation, type DirectorySinkOptions } from './directory-delete-sink.ts'
import { missingFileReason } from './missing-file.ts'
import { moveFileNoClobber } from './move-file.ts'
import { lstatOrUndefined, type FilePlace, type KeyFile, type KeyFileOpener } from './no-follow.ts'
import { perKeyFile } from './per-key.ts'
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
  const present = async (open: KeyFileOpener, place: FilePlace, key: string): Promise<KeyFile | undefined> => {
    const file = await open(place, key, false)
    return file !== undefined && await lstatOrUndefined(file.path) !== undefined ? file : undefined
  }
  return {
    name: `quarantine:dir:${root}`,
    action: 'quarantine',
    supports: { changed: true },
    maxBatch: 1000,
    store: fileLocation(root),
    trash: fileLocation(trashDirectory),
    apply: async (batch, applyOptions) => await perKeyFile(batch, async (entry, open) => {
      const from = await open(store, entry.key, false)
      const stats = from === undefined ? undefined : await lstatOrUndefined(from.path)
      if (from === undefined || stats === undefined) {
        // already quarantined, or gone: nothing left to act on
        return await present(open, trash, entry.key) === undefined ? missingFileReason(entry.key) : undefined
      }
      const changed = changedSince(entry, stats)
      if (changed !== undefined && (checkUnchanged || changed === 'not a regular file')) return changed
      const to = await open(trash, entry.key, true) as KeyFile
      if (!await moveFileNoClobber(from.path, to.path)) return `a different file already exists in the quarantine at ${to.shown}`
      if (prune) await from.pruneEmpty()
      return undefined
    }, applyOptions?.signal),
    restore: async (batch, applyOptions) => await perKeyFile(batch, async (entry, open) => {
      const from = await present(open, trash, entry.key)
      if (from === undefined) return await present(open, store, entry.key) === undefined ? `not in the quarantine at ${trashDirectory}` : undefined
      if (!(await lstatOrUndefined(from.path))?.isFile()) return `${from.shown} is not a regular file`
      const to = await open(store, entry.key, true) as KeyFile
      if (!await moveFileNoClobber(from.path, to.path)) return `a different file is in the way at ${to.shown}`
      if (prune) await from.pruneEmpty()
      return undefined
    }, applyOptions?.signal)
  }
}
