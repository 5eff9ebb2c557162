import { constants, existsSync, type Stats } from 'node:fs'
import { lstat, mkdir, open, rmdir, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import type { HeldDirectories } from './held-directories.ts'
import { removeEmptyParents } from './remove-empty-parents.ts'

/**
 * A key refused because reaching its file would follow a symbolic link or pass through
 * something that is not a directory: the action is not taken, nothing is touched.
 */
export class KeyRefused extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'KeyRefused'
  }
}

/** Where the files of keys lie: `base` (followed, as the operator gave it) and directories below it (never followed). */
export interface FilePlace {
  readonly base: string
  readonly below: readonly string[]
}

/** A key's file in a place, reached without following a link; closed once acted on. */
export interface KeyFile {
  /** The path to act on: through the directory held open, where the system allows it. */
  readonly path: string
  /** The path in messages. */
  readonly shown: string
  /** Removes the key's directories that the action left empty, up to the place's own. */
  pruneEmpty: () => Promise<void>
  close: () => Promise<void>
}

// Linux names every open descriptor here: a path through `/proc/self/fd/N/` starts at the
// directory held open as N, whatever has been renamed or swapped above it since.
const DESCRIPTORS = '/proc/self/fd'
const byDescriptor = existsSync(DESCRIPTORS)
const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY

/**
 * The file of a key in a place, reached one directory at a time without following a
 * symbolic link, when the action is taken: a directory swapped for a link after the plan is
 * refused (KeyRefused), not followed out of the store. Where the system names open
 * descriptors (Linux), each directory is opened with O_NOFOLLOW from the one above it and
 * held open (shared through `held` by the keys of one sink call), and the file is acted on
 * through it, so a swap between the check and the action changes nothing either; elsewhere
 * each directory is checked with lstat just before.
 *
 * With `create`, missing directories below the base are made one at a time (a recursive
 * mkdir would follow a link); without it, a missing one gives undefined: no such file.
 */
export async function openKeyFile (place: FilePlace, key: string, create: boolean, held: HeldDirectories): Promise<KeyFile | undefined> {
  const segments = key.split('/')
  const name = segments.pop() as string
  return byDescriptor
    ? await heldFile(place, segments, name, create, held)
    : await checkedFile(place, segments, name, create)
}

async function heldFile (place: FilePlace, segments: readonly string[], name: string, create: boolean, held: HeldDirectories): Promise<KeyFile | undefined> {
  const owned: FileHandle[] = []
  const close = async (): Promise<void> => { await Promise.all(owned.map(async handle => await handle.close())) }
  const names = [...place.below, ...segments]
  // a directory opened to be made is another entry than one opened to be read
  let id = `${create ? '+' : '-'}\0${place.base}`
  let shown = place.base
  const chain: FileHandle[] = []
  try {
    let handle = await held.get(id, async () => await openBase(place.base, create), owned)
    for (const segment of names) {
      if (handle === undefined) break
      chain.push(handle)
      const at = `${DESCRIPTORS}/${handle.fd}/${segment}`
      const path = shown = join(shown, segment)
      id = `${id}\0${segment}`
      handle = await held.get(id, async () => await openDirectory(at, path, create), owned)
    }
    if (handle === undefined) {
      await close()
      return undefined
    }
    chain.push(handle)
  } catch (error) {
    await close()
    throw error
  }
  const fd = (index: number): number => (chain[index] as FileHandle).fd
  return {
    path: `${DESCRIPTORS}/${fd(chain.length - 1)}/${name}`,
    shown: join(shown, name),
    pruneEmpty: async () => {
      // the key's own directories, deepest first, each through the one above it
      for (let i = chain.length - 1; i > place.below.length; i--) {
        try {
          await rmdir(`${DESCRIPTORS}/${fd(i - 1)}/${names[i - 1] as string}`)
        } catch {
          // not empty, or someone is writing into it: leave it and everything above
          return
        }
      }
    },
    close
  }
}

/** The base, the operator's: made and followed as a whole like any directory they name. */
async function openBase (base: string, create: boolean): Promise<FileHandle | undefined> {
  if (create) await mkdir(base, { recursive: true })
  try {
    return await open(base, DIRECTORY_FLAGS)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && !create) return undefined
    throw error
  }
}

/** Opens a directory without following a link; undefined when it is missing and not to be made. */
async function openDirectory (at: string, shown: string, create: boolean): Promise<FileHandle | undefined> {
  try {
    return await openNoFollow(at, shown)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
    if (!create) return undefined
  }
  try {
    await mkdir(at)
  } catch (error) {
    // made at the same moment by another key of the batch: opened like any other
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw renamed(error, at, shown)
  }
  return await openNoFollow(at, shown)
}

async function openNoFollow (at: string, shown: string): Promise<FileHandle> {
  try {
    return await open(at, DIRECTORY_FLAGS | constants.O_NOFOLLOW)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    // a link opened with O_NOFOLLOW | O_DIRECTORY fails as "not a directory": say which
    if (code === 'ENOTDIR' || code === 'ELOOP') throw refusal(shown, (await lstatOrUndefined(at))?.isSymbolicLink() === true)
    throw renamed(error, at, shown)
  }
}

function renamed (error: unknown, at: string, shown: string): unknown {
  if (error instanceof Error) error.message = error.message.split(at).join(shown)
  return error
}

async function checkedFile (place: FilePlace, segments: readonly string[], name: string, create: boolean): Promise<KeyFile | undefined> {
  if (create) await mkdir(place.base, { recursive: true })
  let path = place.base
  if (await lstatOrUndefined(path) === undefined) return undefined
  for (const segment of [...place.below, ...segments]) {
    path = join(path, segment)
    let stats = await lstatOrUndefined(path)
    if (stats === undefined) {
      if (!create) return undefined
      try {
        await mkdir(path)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      stats = await lstat(path)
    }
    if (!stats.isDirectory()) throw refusal(path, stats.isSymbolicLink())
  }
  const file = join(path, name)
  return {
    path: file,
    shown: file,
    pruneEmpty: async () => { await removeEmptyParents(join(place.base, ...place.below), file) },
    close: async () => {}
  }
}

function refusal (shown: string, link: boolean): KeyRefused {
  return new KeyRefused(link ? `${shown} is a symbolic link: it is not followed out of the store` : `${shown} is not a directory`)
}

/** lstat, or undefined when nothing is there. */
export async function lstatOrUndefined (path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/** Opens key files (openKeyFile) for one action. */
export type KeyFileOpener = (place: FilePlace, key: string, create: boolean) => Promise<KeyFile | undefined>

/**
 * Runs an action on the key files it opens (through the directories `held` for the sink
 * call), closes them after, and writes their paths in any error as the store's paths, so
 * that a message names the file, not a descriptor.
 */
export async function withKeyFiles<T> (held: HeldDirectories, action: (open: KeyFileOpener) => Promise<T>): Promise<T> {
  const files: KeyFile[] = []
  const opener: KeyFileOpener = async (place, key, create) => {
    const file = await openKeyFile(place, key, create, held)
    if (file !== undefined) files.push(file)
    return file
  }
  try {
    return await action(opener)
  } catch (error) {
    if (error instanceof Error) {
      for (const file of files) {
        const directory = file.path.slice(0, file.path.lastIndexOf('/') + 1)
        error.message = error.message.split(directory).join(file.shown.slice(0, file.shown.lastIndexOf('/') + 1))
      }
    }
    throw error
  } finally {
    await Promise.all(files.map(async file => await file.close()))
  }
}
