import { unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import type { Sink } from '../contracts/sink.ts'
import { formatStoreLocation, parseStoreLocation } from '../location/store-location.ts'
import { changedSince } from './changed-since.ts'
import { missingFileReason } from './missing-file.ts'
import { lstatOrUndefined } from './no-follow.ts'
import { perKeyFile } from './per-key.ts'

export interface DirectorySinkOptions {
  /** The store's root directory. Required. */
  root: string
  /** Leave a file alone (a failed outcome) when its mtime or size differs from the plan's entry. @default true */
  checkUnchanged?: boolean
  /** Remove directories that the action leaves empty. @default true */
  removeEmptyDirectories?: boolean
}

/**
 * Deletes files of a directory store. A file already gone is a success; a key that would
 * leave the root (`..`, an absolute path, a symbolic link on the way when the file is
 * deleted: no-follow.ts), or a file rewritten since the plan, is refused and reported.
 */
export function directoryDeleteSink (options: DirectorySinkOptions): Sink {
  const root = checkRoot(options, 'directoryDeleteSink')
  const checkUnchanged = options.checkUnchanged ?? true
  const prune = options.removeEmptyDirectories ?? true
  const place = { base: root, below: [] }
  return {
    name: `delete:dir:${root}`,
    action: 'delete',
    supports: { changed: true },
    maxBatch: 1000,
    store: fileLocation(root),
    apply: async (batch, applyOptions) => await perKeyFile(batch, async (entry, open) => {
      const file = await open(place, entry.key, false)
      const stats = file === undefined ? undefined : await lstatOrUndefined(file.path)
      if (file === undefined || stats === undefined) return missingFileReason(entry.key)
      const changed = changedSince(entry, stats)
      if (changed !== undefined && (checkUnchanged || changed === 'not a regular file')) return changed
      try {
        await unlink(file.path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        return missingFileReason(entry.key)
      }
      if (prune) await file.pruneEmpty()
      return undefined
    }, applyOptions?.signal)
  }
}

export function checkRoot (options: { root: string }, what: string): string {
  if (options === null || typeof options !== 'object' || typeof options.root !== 'string' || options.root.length === 0) {
    throw new TypeError(`${what}: options.root is required`)
  }
  return resolve(options.root)
}

/** A directory as a store location, `file:///abs/dir`. */
export function fileLocation (directory: string): string {
  return formatStoreLocation(parseStoreLocation(directory))
}
