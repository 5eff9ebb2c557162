import type { Stats } from 'node:fs'
import { lstat, mkdir } from 'node:fs/promises'
import { join } from 'node:path'

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

/**
 * The directory `base/segments…`, reached one component at a time without following a
 * symbolic link. Each component is checked when the action is taken, not when the store was
 * listed, so a directory swapped for a link after the plan is refused (KeyRefused) instead
 * of being followed out of the store. `base` itself is the operator's (a root or trash given
 * as a link is followed). With `create`, missing components below it are made one by one (a
 * recursive mkdir would follow a link); without, a missing one gives undefined: no such file.
 */
export async function directoryInside (base: string, segments: readonly string[], create: boolean): Promise<string | undefined> {
  // the base is the operator's, made as a whole like any directory they name
  if (create) await mkdir(base, { recursive: true })
  let path = base
  for (const segment of segments) {
    path = join(path, segment)
    let stats = await lstatOrUndefined(path)
    if (stats === undefined) {
      if (!create) return undefined
      try {
        await mkdir(path)
      } catch (error) {
        // made at the same moment by another key of the batch: checked below like any other
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      }
      stats = await lstat(path)
    }
    if (stats.isSymbolicLink()) throw new KeyRefused(`${path} is a symbolic link: it is not followed out of the store`)
    if (!stats.isDirectory()) throw new KeyRefused(`${path} is not a directory`)
  }
  return path
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

/** Where the files of keys lie: `base` (followed, as given) and directories below it (never followed). */
export interface FilePlace {
  readonly base: string
  readonly below: readonly string[]
}

/**
 * The file of a key in a place (directoryInside for its parents): its path, or undefined when
 * a parent directory is missing and `create` is false.
 */
export async function fileInside (place: FilePlace, key: string, create: boolean): Promise<string | undefined> {
  const segments = key.split('/')
  const name = segments.pop() as string
  const directory = await directoryInside(place.base, [...place.below, ...segments], create)
  return directory === undefined ? undefined : join(directory, name)
}

/** The path a key's file would have in a place, for messages. */
export function placePath (place: FilePlace, key: string): string {
  return join(place.base, ...place.below, ...key.split('/'))
}
