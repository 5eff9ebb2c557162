import { randomBytes } from 'node:crypto'
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { ActionSection, StoreDriver, StoreSection } from '../contracts/store-driver.ts'
import { lockFile } from '../lock/lock-file.ts'
import { parseStoreLocation } from '../location/store-location.ts'
import { directoryDeleteSink } from './directory-delete-sink.ts'
import { directoryQuarantineSink } from './directory-quarantine-sink.ts'
import { directorySource } from './directory-source.ts'
import { directorySplitPoints } from './directory-split-points.ts'
import { WORK_DIRECTORY } from './store-path.ts'
import { withinRange } from './within-range.ts'

/** `[stores.x]` with `type = "directory"`: a tree of files, keys relative to its root. */
export interface DirectoryStoreSection extends StoreSection {
  readonly type: string
  /** Root of the tree; relative to the config file's directory. Required. */
  readonly path: string
}

/** A directory's quarantine: `directory` is where files go. @default `<root>/.keydiff/trash` */
interface QuarantineSection extends ActionSection {
  readonly directory?: string
}

/**
 * The `directory` store: files listed in byte order (a range by sorted traversal, stopping
 * past its end), its directories as split points, deleted or quarantined into a trash
 * directory and restored from it, one sweep at a time through a lock file in `<root>/.keydiff/`.
 */
export const directoryDriver: StoreDriver<DirectoryStoreSection> = {
  type: 'directory',
  scheme: 'file',
  configSchema: { properties: { path: { type: 'string', minLength: 1 } }, required: ['path'] },
  actions: {
    delete: { properties: {} },
    quarantine: { properties: { directory: { type: 'string', minLength: 1 } } }
  },
  supports: { rangePushdown: false, lock: 'store' },
  sectionOf: location => ({ type: 'directory', path: location.path }),
  open (section, context) {
    if (typeof section?.path !== 'string' || section.path.length === 0) throw new TypeError('directoryDriver: path is required')
    const root = resolve(context.baseDir, section.path)
    const quarantine = (trash: string | undefined) => directoryQuarantineSink({ root, ...(trash === undefined ? {} : { trash }) })
    const trashOf = (action: QuarantineSection, given?: string): string | undefined => {
      const path = given ?? action.directory
      if (path === undefined) return undefined
      return /^[a-z][a-z0-9+.-]*:/i.test(path) && !path.startsWith('/') ? parseStoreLocation(path, 'trash').path : resolve(context.baseDir, path)
    }
    return {
      location: () => `dir:${root}`,
      candidates: (options = {}) => withinRange(directorySource({ root, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) }), options.range),
      splitPoints: async options => await directorySplitPoints(root, options),
      sink (action, overrides = {}) {
        if (action.type === 'delete') return directoryDeleteSink({ root })
        if (action.type === 'quarantine') return quarantine(trashOf(action, overrides.trash))
        throw new TypeError(`directoryDriver: a directory store cannot ${JSON.stringify(action.type)} (delete, quarantine)`)
      },
      restorer: trash => quarantine(trash === undefined ? undefined : trashOf({ type: 'quarantine' }, trash)),
      trash: action => action.type === 'quarantine' ? quarantine(trashOf(action)).trash : undefined,
      lock: () => lockFile({ path: join(root, WORK_DIRECTORY, 'lock'), target: `dir:${root}` }),
      probe: async () => { await probeDirectory(root) },
      close: async () => {}
    }
  }
}

/** Writes and removes a file in `<root>/.keydiff/`; a `.keydiff/` made for it is removed too. */
async function probeDirectory (root: string): Promise<void> {
  const directory = join(root, WORK_DIRECTORY)
  let made = false
  try {
    await mkdir(directory)
    made = true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const file = join(directory, `check-${randomBytes(6).toString('hex')}`)
  try {
    await writeFile(file, 'keydiff check\n', { flag: 'wx' })
  } finally {
    await rm(file, { force: true })
    if (made) await rmdir(directory).catch(() => {})
  }
}
