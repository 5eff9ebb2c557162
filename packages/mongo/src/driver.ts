import { randomBytes } from 'node:crypto'
import { resolve } from 'node:path'
import { parseDuration } from '@keydiff/core'
import { withinRange, type StoreDriver, type StoreSection } from '@keydiff/core/adapter'
import { MongoClient } from 'mongodb'
import { jsonLinesBackup } from './backup.ts'
import { mongoDatabases } from './database-source.ts'
import { mongoDropDatabaseSink } from './drop-sinks.ts'
import { mongoLock } from './lock.ts'

/** `[stores.x]` with `type = "mongo"` (or `"@keydiff/mongo"`): a server whose database names are the candidates. */
export interface MongoStoreSection extends StoreSection {
  /** `mongodb://user@host/`; write `${MONGO_URL}` to keep its password out of the file. Required. */
  readonly url: string
  /** Only database names that match this regular expression are candidates. @default every name but admin, local, config */
  readonly include?: string
  /** The database that holds the lock collection (and, in a `[databases]` section, the reference collections). @default 'keydiff' */
  readonly database?: string
  /** Time to find a usable server and to open a connection to it. @default '10s' */
  readonly connectTimeout?: string
  /** Time an operation may wait with nothing arriving on its socket. @default '5m' */
  readonly requestTimeout?: string
}

const name = { type: 'string', minLength: 1 }
const timeout = { type: ['string', 'number'], duration: 'positive' }

/**
 * A MongoDB server as a store of database names: listed by `mongoDatabases`, dropped by
 * `mongoDropDatabaseSink` (after an optional backup, only once idle), one sweep at a time
 * through `mongoLock`. The client is made when the store is opened and connects on first use.
 */
export const driver: StoreDriver<MongoStoreSection> = {
  type: 'mongo',
  scheme: 'mongodb',
  configSchema: {
    properties: { url: name, include: name, database: name, connectTimeout: timeout, requestTimeout: timeout },
    required: ['url']
  },
  actions: {
    'drop-database': { properties: { backup: name, idle: { type: ['string', 'number'], duration: 'any' } } }
  },
  supports: { rangePushdown: false, lock: 'store' },
  open (section, context) {
    if (typeof section?.url !== 'string' || section.url.length === 0) throw new TypeError('[mongo] driver: url is required')
    const connectTimeout = Math.ceil(parseDuration(section.connectTimeout ?? '10s', 'connectTimeout'))
    const client = new MongoClient(section.url, {
      serverSelectionTimeoutMS: connectTimeout,
      connectTimeoutMS: connectTimeout,
      socketTimeoutMS: Math.ceil(parseDuration(section.requestTimeout ?? '5m', 'requestTimeout'))
    })
    const location = `mongodb://${hostsOf(section.url)}/`
    return {
      location: () => location,
      candidates: (options = {}) => withinRange(mongoDatabases({
        client,
        name: location,
        ...(section.include === undefined ? {} : { include: new RegExp(section.include) }),
        ...(options.signal === undefined ? {} : { signal: options.signal })
      }), options.range),
      sink (action) {
        if (action.type !== 'drop-database') throw new TypeError(`[mongo] driver: a mongo store cannot ${JSON.stringify(action.type)} (drop-database)`)
        const backup = action.backup as string | undefined
        const idle = action.idle as string | number | undefined
        return mongoDropDatabaseSink({
          client,
          ...(backup === undefined ? {} : { backup: jsonLinesBackup({ directory: resolve(context.baseDir, backup) }) }),
          ...(idle === undefined ? {} : { idle: { window: parseDuration(idle, 'idle') } })
        })
      },
      lock: () => mongoLock({ client, target: location, ...(section.database === undefined ? {} : { database: section.database }) }),
      // listing the databases is what a run needs; a drop cannot be tried harmlessly, so a scratch collection is written and dropped where the lock lives
      probe: async () => {
        await client.db('admin').admin().listDatabases({ nameOnly: true })
        const scratch = client.db(section.database ?? 'keydiff').collection(`check_${randomBytes(6).toString('hex')}`)
        await scratch.insertOne({ check: true })
        await scratch.drop()
      },
      close: async () => { await client.close() }
    }
  }
}

/** The hosts of a connection string, without user, password or options: `a:27017,b:27017`. */
function hostsOf (url: string): string {
  return /^mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?([^/?]*)/.exec(url)?.[1] ?? 'mongodb'
}
