import type { MongoClient } from 'mongodb'
import { AbortError, compareKeys, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { checkClient } from './client-option.ts'
import { lastActivity, type ActivityProbe } from './activity.ts'
import { isSystemDatabase, matches, type NamePattern } from './system-names.ts'
import { mongoError } from './errors.ts'

export interface MongoDatabasesOptions {
  /** The user's client; it needs the `listDatabases` privilege. */
  client: MongoClient
  /** Only names that match are candidates, e.g. `/^[0-9]+-[0-9a-f]{24}$/`. @default every name */
  include?: NamePattern
  /** Names that match are left out. `admin`, `local` and `config` always are. @default none */
  exclude?: NamePattern
  /**
   * Fill each entry's `lastModified` with the database's last activity as these probes
   * see it, for the sweep's time fence. One probe run per database. @default none
   */
  activity?: readonly ActivityProbe[]
  /** @default 'mongo:databases' */
  name?: string
  /** @default undefined */
  signal?: AbortSignal
}

/**
 * Database names as candidates: `listDatabases`, with `sizeOnDisk` as the size, system
 * databases never listed. Yielded in byte order (the list is small and sorted here).
 */
export function mongoDatabases (options: MongoDatabasesOptions): KeySource {
  const client = checkClient(options, 'mongoDatabases')
  const name = options.name ?? 'mongo:databases'
  return keySource(async function * (): AsyncGenerator<KeyEntry[]> {
    let entries: KeyEntry[]
    try {
      const reply = await client.db('admin').admin().listDatabases({ nameOnly: false })
      const listed = reply.databases
        .filter(database => !isSystemDatabase(database.name) && matches(options.include, database.name) && !(options.exclude !== undefined && matches(options.exclude, database.name)))
        .sort((a, b) => compareKeys(a.name, b.name))
      entries = []
      for (const database of listed) {
        if (options.signal?.aborted === true) throw new AbortError(`${name}: the listing was aborted`, { cause: options.signal.reason })
        const size = typeof database.sizeOnDisk === 'number' ? database.sizeOnDisk : undefined
        const lastModified = options.activity === undefined ? undefined : await lastActivity(client, database.name, options.activity)
        entries.push({ key: database.name, ...(size === undefined ? {} : { size }), ...(lastModified === undefined ? {} : { lastModified }) })
      }
    } catch (error) {
      throw mongoError(name, client, error)
    }
    if (entries.length > 0) yield entries
  }, { name, sorted: true })
}
