import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Binary, Long, MongoClient, ObjectId, UUID } from 'mongodb'
import { checkOrder, diff, KeydiffError, type KeySource } from '@keydiff/core'
import {
  mongoCollections, mongoDatabases, mongoDropCollectionSink, mongoDropDatabaseSink, mongoLookup, mongoReferences, renderKey,
  type MongoCollectionsOptions, type MongoDatabasesOptions, type MongoDropCollectionSinkOptions, type MongoDropDatabaseSinkOptions,
  type MongoLookupOptions, type MongoReferencesOptions
} from '../src/index.ts'
import { hostOf, startCuttingProxy } from './helpers/cutting-proxy.ts'
import { startTestServer, type TestServer } from './helpers/stand-in.ts'

let server: TestServer
let client: MongoClient

before(async () => {
  server = await startTestServer()
  client = await server.client()
})
after(async () => { await server.stop() })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out
}

test('an array field gives every element; nested paths unwind arrays of sub-documents; missing and null give nothing', async () => {
  const coll = client.db('kd_arrays').collection('posts')
  await coll.insertMany([
    { tags: ['a/1.png', 'a/2.png'], attachments: [{ key: 'att/x' }, { key: 'att/y' }] },
    { tags: 'b/solo.png', attachments: [] },
    { tags: null },
    { other: 1 }
  ])
  assert.deepEqual((await keys(mongoReferences({ client, database: 'kd_arrays', collection: 'posts', field: 'tags' }))).sort(), ['a/1.png', 'a/2.png', 'b/solo.png'])
  assert.deepEqual((await keys(mongoReferences({ client, database: 'kd_arrays', collection: 'posts', field: 'attachments.key' }))).sort(), ['att/x', 'att/y'])
  assert.deepEqual(await keys(mongoReferences({ client, database: 'kd_arrays', collection: 'posts', field: 'tags', filter: { other: 1 } })), [])
  await client.db('kd_arrays').dropDatabase()
})

test('templates join several fields; ObjectId, UUID, binary and numbers render by the documented rule', async () => {
  const id = new ObjectId()
  const uuid = new UUID()
  const coll = client.db('kd_templates').collection('datastores')
  await coll.insertMany([
    { datastoreTypeId: 3, datastoreId: id },
    { datastoreTypeId: 'img', datastoreId: uuid },
    { datastoreTypeId: Long.fromNumber(7), datastoreId: new Binary(Buffer.from([0xde, 0xad])) },
    { datastoreTypeId: 9 }
  ])
  const got = await keys(mongoReferences({ client, database: 'kd_templates', collection: 'datastores', template: '{datastoreTypeId}-{datastoreId}' }))
  assert.deepEqual(got.sort(), [`3-${id.toHexString()}`, '7-dead', `img-${uuid.toHexString(true)}`].sort())
  assert.equal(renderKey(new Date('2024-01-02T03:04:05Z')), '2024-01-02T03:04:05.000Z')
  await client.db('kd_templates').dropDatabase()
})

test('a value with no key rendering fails the scan with KEYDIFF_PARSE_ERROR naming the path', async () => {
  await client.db('kd_bad').collection('refs').insertMany([{ key: 'fine' }, { key: { nested: true } }])
  await assert.rejects(keys(mongoReferences({ client, database: 'kd_bad', collection: 'refs', field: 'key' })), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
    assert.match(error.message, /at key/)
    return true
  })
  await client.db('kd_bad').dropDatabase()
})

test('options are checked: exactly one of field and template, sorted only with a field', () => {
  assert.throws(() => mongoReferences({ client, database: 'd', collection: 'c' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => mongoReferences({ client, database: 'd', collection: 'c', field: 'a', template: '{a}' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => mongoReferences({ client, database: 'd', collection: 'c', template: '{a}-{b}', sorted: true }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => mongoReferences({ client, database: 'd', collection: 'c', template: '{a}{b}' }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.throws(() => mongoReferences({ client, database: 'd', collection: 'c', field: 'a..b' }), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('every factory checks client and the names it needs the same way: missing is a TypeError naming package, factory and option; unusable is KEYDIFF_INVALID_OPTION', () => {
  const factories: Array<[string, (options: Record<string, unknown>) => unknown]> = [
    ['mongoReferences', options => mongoReferences({ field: 'k', ...options } as unknown as MongoReferencesOptions)],
    ['mongoLookup', options => mongoLookup({ field: 'k', ...options } as unknown as MongoLookupOptions)],
    ['mongoDatabases', options => mongoDatabases(options as unknown as MongoDatabasesOptions)],
    ['mongoCollections', options => mongoCollections(options as unknown as MongoCollectionsOptions)],
    ['mongoDropDatabaseSink', options => mongoDropDatabaseSink(options as unknown as MongoDropDatabaseSinkOptions)],
    ['mongoDropCollectionSink', options => mongoDropCollectionSink(options as unknown as MongoDropCollectionSinkOptions)]
  ]
  for (const [factory, make] of factories) {
    assert.throws(() => make({ database: 'd', collection: 'c' }), { name: 'TypeError', message: `@keydiff/mongo ${factory}: option client is required` })
    assert.throws(() => make({ client: {}, database: 'd', collection: 'c' }), { code: 'KEYDIFF_INVALID_OPTION' }, factory)
  }
  assert.throws(() => mongoReferences({ client, collection: 'c', field: 'k' } as unknown as MongoReferencesOptions), { name: 'TypeError', message: '@keydiff/mongo mongoReferences: option database is required' })
  assert.throws(() => mongoReferences({ client, database: '', collection: 'c', field: 'k' }), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('sorted declares the source sorted; sort, its old name, still does for one release', () => {
  assert.equal(mongoReferences({ client, database: 'd', collection: 'c', field: 'k', sorted: true }).sorted, true)
  assert.equal(mongoReferences({ client, database: 'd', collection: 'c', field: 'k', sort: true }).sorted, true)
  assert.equal(mongoReferences({ client, database: 'd', collection: 'c', field: 'k' }).sorted, false)
})

test('re-check: has() finds keys referenced now, by field (strings, ObjectIds, arrays) and by template', async () => {
  const id = new ObjectId()
  const db = client.db('kd_lookup')
  await db.collection('refs').insertMany([{ key: 'a' }, { key: ['b', 'c'] }, { key: id }])
  const byField = mongoLookup({ client, database: 'kd_lookup', collection: 'refs', field: 'key', batchSize: 2 })
  assert.deepEqual([...await byField.has(['a', 'c', 'zzz', id.toHexString(), new ObjectId().toHexString()])].sort(), ['a', 'c', id.toHexString()].sort())
  await db.collection('stores').insertMany([{ type: 3, sid: 'x-y' }, { type: 'img', sid: 'q' }])
  const byTemplate = mongoLookup({ client, database: 'kd_lookup', collection: 'stores', template: '{type}-{sid}' })
  assert.deepEqual([...await byTemplate.has(['3-x-y', 'img-q', '3-x', 'img-r'])].sort(), ['3-x-y', 'img-q'])
  await db.dropDatabase()
})

test('collections of a database as candidates, in byte order, system collections left out', async () => {
  const db = client.db('kd_colls')
  for (const name of ['b-2', 'a-1', 'keep']) await db.collection(name).insertOne({ x: 1 })
  const source = mongoCollections({ client, database: 'kd_colls', exclude: /^keep$/ })
  const got: Array<{ key: string, size?: number }> = []
  for await (const batch of source) got.push(...batch)
  assert.deepEqual(got.map(entry => entry.key), ['a-1', 'b-2'])
  assert.equal(source.sorted, true)
  await db.dropDatabase()
})

test('sorted asks the server for simple-collation order; a server that breaks the claim is caught by the engine', async () => {
  const coll = client.db('kd_sorted').collection('refs')
  await coll.insertMany(['k/b', 'k/a', 'k/c', 'k/B'].map(key => ({ key })))
  const source = mongoReferences({ client, database: 'kd_sorted', collection: 'refs', field: 'key', sorted: true })
  assert.equal(source.sorted, true)
  if (server.kind === 'mongod') {
    assert.deepEqual(await keys(checkOrder(source)), ['k/B', 'k/a', 'k/b', 'k/c'])
  } else {
    // The stand-in sorts with localeCompare ('k/a' < 'k/B'); byte order puts 'k/B' first.
    await assert.rejects(keys(checkOrder(source)), { code: 'KEYDIFF_NOT_SORTED' })
  }
  await client.db('kd_sorted').dropDatabase()
})

test('a connection broken in the middle of the reference scan fails the diff run', async () => {
  const db = client.db('kd_broken')
  const refs = Array.from({ length: 3000 }, (_, i) => ({ key: `obj/${String(i).padStart(5, '0')}` }))
  await db.collection('refs').insertMany(refs)
  const proxy = await startCuttingProxy(hostOf(server.url), 40_000)
  const broken = new MongoClient(proxy.url)
  try {
    const run = diff({
      candidates: [refs.map(ref => ({ key: ref.key })).concat([{ key: 'obj/orphan' }])],
      references: mongoReferences({ client: broken, database: 'kd_broken', collection: 'refs', field: 'key', batchSize: 200 })
    })
    const orphans: string[] = []
    await assert.rejects((async () => {
      for await (const part of run) for (const entry of part.entries) orphans.push(entry.key)
    })(), (error: unknown) => {
      assert.ok(error instanceof KeydiffError, String(error))
      assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED')
      assert.match(error.message, /mongo:kd_broken\.refs\/key/)
      return true
    })
    assert.deepEqual(orphans, [], 'no orphan may come out of a partial reference list')
  } finally {
    await broken.close(true).catch(() => {})
    await proxy.close()
    await db.dropDatabase()
  }
})
