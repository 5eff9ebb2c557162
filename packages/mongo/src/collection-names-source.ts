import type { MongoClient } from 'mongodb'
import { AbortError, compareKeys, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { checkClient, checkName } from './client-option.ts'
import { isSystemCollection, matches, type NamePattern } from './system-names.ts'
import { mongoError } from './errors.ts'

export interface MongoCollectionsOptions {
  client: MongoClient
  /** The database whose collections are candidates. */
  database: string
  /** Only names that match are candidates. @default every name */
  include?: NamePattern
  /** Names that match are left out. `system.*` collections and views always are. @default none */
  exclude?: NamePattern
  /** Ask each collection's storage size (`collStats`); without it entries carry no size. @default true */
  sizes?: boolean
  /** @default `mongo:<database>/collections` */
  name?: string
  /** @default undefined */
  signal?: AbortSignal
}

/** Collection names of one database as candidates, in byte order, with their storage size. */
export function mongoCollections (options: MongoCollectionsOptions): KeySource {
  const client = checkClient(options, 'mongoCollections')
  const database = checkName(options.database, 'database', 'mongoCollections', 'the database whose collections are candidates')
  const name = options.name ?? `mongo:${database}/collections`
  return keySource(async function * (): AsyncGenerator<KeyEntry[]> {
    let entries: KeyEntry[]
    try {
      const db = client.db(database)
      const listed = (await db.listCollections({}, { nameOnly: false }).toArray() as Array<{ name: string, type?: string }>)
        .filter(collection => (collection.type === undefined || collection.type === 'collection') && !isSystemCollection(collection.name))
        .filter(collection => matches(options.include, collection.name) && !(options.exclude !== undefined && matches(options.exclude, collection.name)))
        .map(collection => collection.name)
        .sort(compareKeys)
      entries = []
      for (const collection of listed) {
        if (options.signal?.aborted === true) throw new AbortError(`${name}: the listing was aborted`, { cause: options.signal.reason })
        const size = options.sizes === false ? undefined : await storageSize(client, database, collection)
        entries.push(size === undefined ? { key: collection } : { key: collection, size })
      }
    } catch (error) {
      throw mongoError(name, client, error)
    }
    if (entries.length > 0) yield entries
  }, { name, sorted: true })
}

async function storageSize (client: MongoClient, database: string, collection: string): Promise<number | undefined> {
  const reply = await client.db(database).command({ collStats: collection })
  const size = reply.storageSize ?? reply.size
  return typeof size === 'number' ? size : undefined
}
