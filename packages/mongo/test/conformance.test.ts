import { after, before, test } from 'node:test'
import { MongoClient, ObjectId } from 'mongodb'
import { map, type KeyEntry } from '@keydiff/core'
import { keySourceSuite, lockSuite, pointLookupSuite, sinkSuite } from '@keydiff/core/conformance'
import { mongoDatabases, mongoDropDatabaseSink, mongoLock, mongoLookup, mongoReferences } from '../src/index.ts'
import { hostOf, startCuttingProxy } from './helpers/cutting-proxy.ts'
import { startTestServer, type TestServer } from './helpers/stand-in.ts'

let server: TestServer
let client: MongoClient
let fixtures = 0

before(async () => {
  server = await startTestServer()
  client = await server.client()
})
after(async () => { await server.stop() })

async function insertKeys (database: string, entries: readonly KeyEntry[]): Promise<void> {
  const coll = client.db(database).collection('refs')
  for (let i = 0; i < entries.length; i += 1000) {
    await coll.insertMany(entries.slice(i, i + 1000).map(entry => ({ key: entry.key })))
  }
  if (entries.length === 0) await client.db(database).createCollection('refs')
}

// The stand-in sorts strings with localeCompare, not byte order as MongoDB's simple
// collation does; the sorted claim is checked against a real server (KEYDIFF_MONGO_URL),
// and sorted.test.ts shows the engine catching the stand-in's order.
const realServer = (process.env.KEYDIFF_MONGO_URL ?? '') !== ''

keySourceSuite({
  test,
  name: `mongoReferences (${realServer ? 'sorted' : 'unsorted'} field)`,
  supports: { sorted: realServer, failure: true },
  factory: async (entries, { failAfter }) => {
    const database = `kd_refs_${++fixtures}`
    await insertKeys(database, entries)
    if (failAfter === undefined) {
      return {
        subject: mongoReferences({ client, database, collection: 'refs', field: 'key', sorted: realServer, batchSize: 500 }),
        teardown: async () => { await client.db(database).dropDatabase() }
      }
    }
    // About 50 bytes per document on the wire: the proxy breaks the connection mid-stream.
    const proxy = await startCuttingProxy(hostOf(server.url), failAfter * 30)
    const { MongoClient: Client } = await import('mongodb')
    const broken = new Client(proxy.url)
    return {
      subject: mongoReferences({ client: broken, database, collection: 'refs', field: 'key', sorted: realServer, batchSize: 200 }),
      teardown: async () => {
        await broken.close(true).catch(() => {})
        await proxy.close()
        await client.db(database).dropDatabase()
      }
    }
  }
})

// Database names hold no `/` and at most 64 bytes, so each key is stored as the hex of its
// UTF-8 bytes (which keeps byte order) under a per-fixture prefix, and read back the same way.
keySourceSuite({
  test,
  name: 'mongoDatabases',
  supports: { sorted: true, sizes: false, maxKeyBytes: 28 },
  factory: async (entries) => {
    const prefix = `kd${++fixtures}_`
    const names = entries.map(entry => prefix + Buffer.from(entry.key).toString('hex'))
    for (const name of names) await client.db(name).collection('c').insertOne({ at: new Date() })
    const source = mongoDatabases({ client, include: name => name.startsWith(prefix) })
    return {
      subject: map(entry => Buffer.from(entry.key.slice(prefix.length), 'hex').toString('utf8'), { preservesOrder: true })(source),
      teardown: async () => { for (const name of names) await client.db(name).dropDatabase() }
    }
  }
})

const DB_NAME = /^[^/\\. "$*<>:|?]{1,60}$/

// Keys that must fail are databases that were just written to: the idle guard refuses them.
// The others hold only documents whose ObjectIds are a day old, so they count as idle.
sinkSuite({
  test,
  name: 'mongoDropDatabaseSink',
  supports: {
    failures: true,
    canHold: key => DB_NAME.test(key) && Buffer.byteLength(key) <= 60,
    pageKey: (prefix, i) => `${prefix}-${String(i).padStart(6, '0')}`,
    maxKeys: 60
  },
  factory: async (entries, { failKeys = [] }) => {
    const prefix = `s${++fixtures}_`
    const old = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 86400)
    for (const entry of entries) {
      const busy = failKeys.includes(entry.key)
      await client.db(prefix + entry.key).collection('c').insertOne({ _id: busy ? new ObjectId() : old })
    }
    const sink = mongoDropDatabaseSink({ client, maxBatch: 20, idle: { window: 60 * 60 * 1000 } })
    const prefixed = {
      name: sink.name,
      action: sink.action,
      maxBatch: sink.maxBatch,
      apply: async (batch: readonly KeyEntry[]) => (await sink.apply(batch.map(entry => ({ ...entry, key: prefix + entry.key })))).map(outcome => ({ ...outcome, key: outcome.key.slice(prefix.length) }))
    }
    const listed = async (): Promise<Set<string>> => new Set((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(database => database.name))
    return {
      subject: { sink: prefixed, actedOn: async key => !(await listed()).has(prefix + key) },
      teardown: async () => { for (const entry of entries) await client.db(prefix + entry.key).dropDatabase() }
    }
  }
})

lockSuite({
  test,
  name: 'mongoLock',
  // On the stand-in a renewal sent while another lock's request is under way was measured at
  // 520 ms (alone, a request takes about 1 ms): a lease of 500 ms would run out meanwhile.
  ttl: 2000,
  factory: async () => {
    const target = `sweep:fixture-${++fixtures}`
    // The locks reach the server through a proxy that break() cuts, as a failed network would.
    const proxy = await startCuttingProxy(hostOf(server.url))
    const proxied = new MongoClient(proxy.url)
    return {
      subject: {
        lock: () => mongoLock({ client: proxied, target, database: 'kd_locks' }),
        break: async () => { proxy.cut() }
      },
      teardown: async () => {
        await proxied.close(true)
        await proxy.close()
        await client.db('kd_locks').collection('keydiff_locks').deleteMany({ target })
      }
    }
  }
})

pointLookupSuite({
  test,
  name: 'mongoLookup',
  factory: async referenced => {
    const database = `kd_lookup_${++fixtures}`
    await insertKeys(database, referenced.map(key => ({ key })))
    // The look-up reaches the server through a proxy that break() cuts, as a failed network would.
    const proxy = await startCuttingProxy(hostOf(server.url))
    const proxied = new MongoClient(proxy.url)
    return {
      subject: {
        lookup: mongoLookup({ client: proxied, database, collection: 'refs', field: 'key', batchSize: 700 }),
        add: async keys => { await insertKeys(database, keys.map(key => ({ key }))) },
        break: async () => { proxy.cut() }
      },
      teardown: async () => {
        await proxied.close(true)
        await proxy.close()
        await client.db(database).dropDatabase()
      }
    }
  }
})
