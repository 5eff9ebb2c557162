import { isUtf8 } from 'node:buffer'
import { lstat, readdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { SourceError } from '../errors.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import { keySource } from '../keys/key-source.ts'
import type { KeySource, UnlistedEntries } from '../contracts/key-source.ts'
import { escapeFileName } from './escape-file-name.ts'
import { WORK_DIRECTORY } from './store-path.ts'

export interface DirectorySourceOptions {
  /** The store's root directory. Required. */
  root: string
  /** Name in errors and reports. @default `dir:<root>` */
  name?: string
  /** Only keys under this prefix, e.g. `blobs/` (matched on whole path segments up to the last `/`). @default '' */
  prefix?: string
  /** Entries per batch. @default 1000 */
  batchSize?: number
}

interface Child { name: string, sortName: string, directory: boolean }

/**
 * The files under a directory as candidates: keys are relative paths joined with `/`, with
 * size and modification time. Listed in UTF-8 byte order of the whole key (a directory
 * sorts as its name plus `/`), so the source declares itself sorted, as S3 listings do.
 * Symbolic links and special files are not listed; the work directory `.keydiff` is skipped.
 * A file or directory whose name is not valid UTF-8 cannot be a key: it is never listed, but
 * counted in `unlisted` with escaped examples (`bad\xff.txt`), so the plan says so.
 */
export function directorySource (options: DirectorySourceOptions): KeySource {
  if (options === null || typeof options !== 'object' || typeof options.root !== 'string' || options.root.length === 0) {
    throw new TypeError('directorySource: options.root is required')
  }
  const root = resolve(options.root)
  const name = options.name ?? `dir:${root}`
  const prefix = options.prefix ?? ''
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new TypeError('directorySource: batchSize must be a positive integer')
  const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : ''

  let unlisted: UnlistedEntries | undefined
  const passOver = (relative: string, name: Buffer, directory: boolean): void => {
    unlisted ??= { count: 0, examples: [] }
    unlisted.count++
    if (unlisted.examples.length < MAX_EXAMPLES) unlisted.examples.push(`${relative}${escapeFileName(name)}${directory ? '/' : ''}`)
  }
  const source = keySource(async function * (): AsyncGenerator<KeyBatch> {
    unlisted = undefined
    try {
      if (!(await lstat(root)).isDirectory()) throw new SourceError(name, `${root} is not a directory`, { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
    } catch (error) {
      if (error instanceof SourceError) throw error
      throw new SourceError(name, `the directory ${root} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { code: 'KEYDIFF_SOURCE_NOT_FOUND', cause: error })
    }
    let batch: KeyEntry[] = []
    const walk = async function * (relative: string): AsyncGenerator<KeyBatch> {
      const children: Child[] = []
      const directory = join(root, ...relative.split('/').filter(Boolean))
      try {
        for (const dirent of await readdir(directory, { withFileTypes: true, encoding: 'buffer' })) {
          const isDirectory = dirent.isDirectory()
          if (!isDirectory && !dirent.isFile()) continue
          if (!isUtf8(dirent.name)) {
            // within the listed range as far as its decodable part tells
            const shown = relative + dirent.name.toString('utf8')
            if (shown.startsWith(prefix) || prefix.startsWith(shown)) passOver(relative, dirent.name, isDirectory)
            continue
          }
          const child = dirent.name.toString('utf8')
          if (relative === '' && child === WORK_DIRECTORY) continue
          children.push({ name: child, sortName: isDirectory ? `${child}/` : child, directory: isDirectory })
        }
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (relative === start && code === 'ENOENT') return
        throw new SourceError(name, `listing ${directory} failed: ${code ?? (error as Error).message}`, { cause: error })
      }
      children.sort((a, b) => compareKeys(a.sortName, b.sortName))
      for (const child of children) {
        const key = relative + child.name
        if (child.directory) {
          if (key.startsWith(prefix) || prefix.startsWith(`${key}/`)) yield * walk(`${key}/`)
          continue
        }
        if (!key.startsWith(prefix)) continue
        let stats
        try {
          stats = await lstat(join(directory, child.name))
        } catch (error) {
          // deleted between the listing and the stat: it no longer exists
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue
          throw new SourceError(name, `reading ${join(directory, child.name)} failed: ${(error as Error).message}`, { cause: error })
        }
        batch.push({ key, size: stats.size, lastModified: stats.mtime })
        if (batch.length >= batchSize) {
          yield batch
          batch = []
        }
      }
    }
    yield * walk(start)
    if (batch.length > 0) yield batch
  }, { name, sorted: true, supports: { sizes: true, lastModified: true, controlCharacters: true, emptySegments: false, maxKeyBytes: 255 } })
  return Object.defineProperty(source, 'unlisted', { get: () => unlisted, enumerable: true })
}

const MAX_EXAMPLES = 10
