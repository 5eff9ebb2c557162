import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { BSON, ObjectId, type MongoClient } from 'mongodb'
import { startTestServer, type TestServer } from '@keydiff/mongo/testing'
import { main } from '../src/mongo-datastores.ts'

let server: TestServer
let client: MongoClient
let root: string
const quiet = (): void => {}
const agoSeconds = (seconds: number): ObjectId => ObjectId.createFromTime(Math.floor(Date.now() / 1000) - seconds)
const ids = Array.from({ length: 6 }, () => new ObjectId())
const name = (type: number, i: number): string => `${type}-${(ids[i] as ObjectId).toHexString()}`

before(async () => {
  server = await startTestServer()
  client = await server.client()
  root = await mkdtemp(join(tmpdir(), 'keydiff-example-datastores-'))
})
after(async () => {
  await server?.stop()
  await rm(root, { recursive: true, force: true })
})

async function databaseNames (): Promise<Set<string>> {
  return new Set((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(database => database.name))
}

test('job 5: databases of deleted datastores are backed up and dropped once idle; live, fresh and other databases stay', async () => {
  const datastores = client.db('platform').collection('datastores')
  await datastores.insertMany([{ datastoreTypeId: 3, datastoreId: ids[0] }, { datastoreTypeId: 7, datastoreId: ids[1] }])
  const day = 86400
  for (const [database, age] of [[name(3, 0), day], [name(7, 1), day], [name(3, 2), 2 * day], [name(3, 3), 2 * day], [name(3, 4), 2 * day], [name(3, 5), 1800], [name(3, 1), 60]] as const) {
    await client.db(database).collection('items').insertOne({ _id: agoSeconds(age), title: `in ${database}` })
  }
  await client.db('unrelated').collection('x').insertOne({ _id: agoSeconds(2 * day) })

  // Preview: 2, 3, 4 and 5 are owned by no datastore; 3-…1 was written a minute ago, after the fence.
  const preview = await main({ client, grace: '10m', log: quiet, work: await mkdtemp(join(root, 'preview-')) })
  assert.equal(preview.applied, undefined)
  assert.equal(preview.summary.header.counts.planned, 4)
  assert.equal(preview.summary.header.counts.tooYoung, 1)
  assert.deepEqual(preview.summary.prefixes.map(total => total.prefix), [''], 'database names have no "/": one top-level group')
  assert.ok((await databaseNames()).has(name(3, 2)), 'a dry run drops nothing')

  // Datastore 4 is restored while the sweep runs: the re-check keeps its database.
  const backups = join(root, 'backups')
  const result = await main({
    client,
    grace: '10m',
    idleWindow: 3600_000,
    backups,
    work: await mkdtemp(join(root, 'sweep-')),
    dryRun: false,
    log: quiet,
    confirm: async summary => {
      assert.equal(summary.header.counts.planned, 4)
      await datastores.insertOne({ datastoreTypeId: 3, datastoreId: ids[4] })
      return true
    }
  })
  assert.equal(result.applied?.done, 2)
  assert.equal(result.applied?.dropped, 1)
  assert.equal(result.applied?.failed, 1)
  assert.equal(result.applied?.failures[0]?.key, name(3, 5))
  assert.match(result.applied?.failures[0]?.error ?? '', /idle window/)

  const left = await databaseNames()
  for (const kept of [name(3, 0), name(7, 1), name(3, 4), name(3, 5), name(3, 1), 'unrelated', 'platform']) assert.ok(left.has(kept), `${kept} must stay`)
  for (const dropped of [name(3, 2), name(3, 3)]) assert.ok(!left.has(dropped), `${dropped} must be dropped`)

  const lines = gunzipSync(await readFile(join(backups, `${name(3, 2)}.jsonl.gz`))).toString('utf8').trim().split('\n')
  assert.equal(lines.length, 1)
  const line = BSON.EJSON.parse(lines[0] as string) as { collection: string, document: { title: string, _id: ObjectId } }
  assert.equal(line.collection, 'items')
  assert.equal(line.document.title, `in ${name(3, 2)}`)
  assert.ok(line.document._id instanceof ObjectId)
  assert.ok(!existsSync(join(backups, `${name(3, 5)}.jsonl.gz`)), 'a refused database is not backed up')
})
