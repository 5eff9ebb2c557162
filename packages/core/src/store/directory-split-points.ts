import { isUtf8 } from 'node:buffer'
import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { OpenedStore } from '../contracts/store-driver.ts'
import { SourceError } from '../errors.ts'
import { splitPointsByLevel } from './split-points-by-level.ts'
import { WORK_DIRECTORY } from './store-path.ts'

/** Levels of directories read at most: one readdir per directory found on the level above. */
const MAX_DEPTH = 4

/**
 * The directories under a directory store's root as split points (`images/`, `images/2024/`),
 * a level at a time until there are `count` of them or `MAX_DEPTH` levels were read, sorted in
 * byte order. A directory store's levels are its directories, so only `/` separates them; a
 * directory removed while it is read gives no points, and `.keydiff` directories none at all.
 */
export async function directorySplitPoints (root: string, options: Parameters<NonNullable<OpenedStore['splitPoints']>>[0]): Promise<string[]> {
  const { count, signal } = options
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`directory store splitPoints: count must be a positive integer, got ${String(count)}`)
  const delimiter = options.delimiter ?? '/'
  if (delimiter !== '/') throw new TypeError(`directory store splitPoints: a directory store's levels are its directories, split at "/", not ${JSON.stringify(delimiter)}`)
  const name = `dir:${root}`
  try {
    if (!(await lstat(root)).isDirectory()) throw new SourceError(name, `${root} is not a directory`, { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
  } catch (error) {
    if (error instanceof SourceError) throw error
    throw new SourceError(name, `the directory ${root} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { code: 'KEYDIFF_SOURCE_NOT_FOUND', cause: error })
  }
  const prefix = options.prefix ?? ''
  // a prefix that ends inside a name (`images/20`) keeps only the directories it starts
  const under = async (relative: string): Promise<string[]> => (await subdirectories(root, relative, name)).filter(point => point.startsWith(prefix))
  return await splitPointsByLevel(under, prefix.slice(0, prefix.lastIndexOf('/') + 1), { count, maxDepth: MAX_DEPTH, signal })
}

/** The directories in `relative` (a key prefix ending in `/`, or '' for the root), as key prefixes. */
async function subdirectories (root: string, relative: string, name: string): Promise<string[]> {
  const directory = join(root, ...relative.split('/').filter(Boolean))
  let entries
  try {
    entries = await readdir(directory, { withFileTypes: true, encoding: 'buffer' })
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return []
    throw new SourceError(name, `listing ${directory} failed: ${code ?? (error as Error).message}`, { cause: error })
  }
  const found: string[] = []
  for (const entry of entries) {
    // symbolic links are not followed, and a name that is not UTF-8 is no key's
    if (!entry.isDirectory() || !isUtf8(entry.name)) continue
    const child = entry.name.toString('utf8')
    if (child !== WORK_DIRECTORY) found.push(`${relative}${child}/`)
  }
  return found
}
