import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { BSON, ObjectId, type MongoClient } from 'mongodb'
import { diff, type KeyEntry } from '@keydiff/core'
import { jsonLinesBackup, mongoDatabases, mongoDropDatabaseSink, mongoLookup, mongoReferences } from '../src/index.ts'
import { startTestServer, type TestServer } from './helpers/stand-in.ts'

let server: TestServer
let client: MongoClient
let backups: string

before(async () => {
  server = await startTestServer()
  client = await server.client()
  backups = await mkdtemp(join(tmpdir(), 'keydiff-mongo-backup-'))
})
after(async () => {
  await server.stop()
  await rm(backups, { recursive: true, force: true })
})

const DAY_AGO = (): ObjectId => ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 86400)
const DATASTORE_DB = /^[0-9]+-[0-9a-f]{24}$/

async function databaseNames (): Promise<Set<string>> {
  return new Set((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(database => database.name))
}

test('job 5: databases of deleted datastores are planned, re-checked, backed up and dropped; live and system databases are untouched', async () => {
  const ids = Array.from({ length: 6 }, () => new ObjectId())
  const name = (type: number, i: number): string => `${type}-${(ids[i] as ObjectId).toHexString()}`
  const registry = client.db('platform')
  // Live datastores 0-1; 2-4 were deleted (recorded in the deletion log); 5 is deleted but
  // its database was written a moment ago, so the idle guard keeps it.
  await registry.collection('datastores').insertMany([{ datastoreTypeId: 3, datastoreId: ids[0] }, { datastoreTypeId: 7, datastoreId: ids[1] }])
  await registry.collection('deletions').insertMany([2, 3, 4, 5].map(i => ({ datastoreTypeId: 3, datastoreId: ids[i], deletedAt: new Date() })))
  const all = [name(3, 0), name(7, 1), name(3, 2), name(3, 3), name(3, 4), name(3, 5)]
  for (const database of all.slice(0, 5)) {
    await client.db(database).collection('items').insertMany([{ _id: DAY_AGO(), title: `in ${database}`, at: new Date(0) }])
  }
  await client.db(name(3, 5)).collection('items').insertOne({ title: 'just written' })
  await client.db('admin').collection('kd_marker').insertOne({ _id: DAY_AGO() })
  await client.db('unrelated').collection('x').insertOne({ _id: DAY_AGO() })

  // Plan: databases that look like datastores, minus the live registry.
  const candidates = mongoDatabases({ client, include: DATASTORE_DB })
  const listed: string[] = []
  for await (const batch of mongoDatabases({ client })) listed.push(...batch.map(entry => entry.key))
  for (const system of ['admin', 'local', 'config']) assert.ok(!listed.includes(system), `${system} must never be listed`)
  const references = mongoReferences({ client, database: 'platform', collection: 'datastores', template: '{datastoreTypeId}-{datastoreId}' })
  const plan: KeyEntry[] = []
  const run = diff({ candidates, references })
  for await (const part of run) if (part.kind === 'orphans') plan.push(...part.entries)
  assert.deepEqual(plan.map(entry => entry.key).sort(), [name(3, 2), name(3, 3), name(3, 4), name(3, 5)].sort())
  assert.ok(plan.every(entry => typeof entry.size === 'number'), 'sizeOnDisk is carried as size')
  assert.ok(run.stats.referenceScanStartedAt !== undefined, 'the reference scan start is recorded for the fence')

  // Between plan and action, datastore 4 is restored: the re-check takes it out.
  await registry.collection('datastores').insertOne({ datastoreTypeId: 3, datastoreId: ids[4] })
  const live = await mongoLookup({ client, database: 'platform', collection: 'datastores', template: '{datastoreTypeId}-{datastoreId}' }).has(plan.map(entry => entry.key))
  const deleted = await mongoLookup({ client, database: 'platform', collection: 'deletions', template: '{datastoreTypeId}-{datastoreId}' }).has(plan.map(entry => entry.key))
  const act = plan.filter(entry => !live.has(entry.key) && deleted.has(entry.key))
  assert.deepEqual(act.map(entry => entry.key).sort(), [name(3, 2), name(3, 3), name(3, 5)].sort())

  const sink = mongoDropDatabaseSink({ client, backup: jsonLinesBackup({ directory: backups }), idle: { window: 60 * 60 * 1000 } })
  const outcomes = new Map((await sink.apply(act)).map(outcome => [outcome.key, outcome]))
  assert.equal(outcomes.get(name(3, 2))?.ok, true)
  assert.equal(outcomes.get(name(3, 3))?.ok, true)
  assert.equal(outcomes.get(name(3, 5))?.ok, false, 'a database written within the idle window is refused')
  assert.match(outcomes.get(name(3, 5))?.error ?? '', /idle window/)

  const left = await databaseNames()
  for (const kept of [name(3, 0), name(7, 1), name(3, 4), name(3, 5), 'unrelated', 'platform']) assert.ok(left.has(kept), `${kept} must be kept`)
  for (const dropped of [name(3, 2), name(3, 3)]) assert.ok(!left.has(dropped), `${dropped} must be dropped`)

  // The backup holds the documents with their types; a second apply changes nothing.
  const lines = gunzipSync(await readFile(join(backups, `${name(3, 2)}.jsonl.gz`))).toString('utf8').trim().split('\n')
  assert.equal(lines.length, 1)
  const line = BSON.EJSON.parse(lines[0] as string) as { collection: string, document: { title: string, at: Date, _id: ObjectId } }
  assert.equal(line.collection, 'items')
  assert.equal(line.document.title, `in ${name(3, 2)}`)
  assert.ok(line.document.at instanceof Date && line.document._id instanceof ObjectId)
  const again = await sink.apply(act.filter(entry => entry.key !== name(3, 5)))
  assert.ok(again.every(outcome => outcome.ok))
  assert.equal(gunzipSync(await readFile(join(backups, `${name(3, 2)}.jsonl.gz`))).toString('utf8').trim().split('\n').length, 1, 'a second apply does not overwrite the backup with an empty one')

  for (const database of [...all, 'unrelated', 'platform']) await client.db(database).dropDatabase()
  await client.db('admin').collection('kd_marker').drop().catch(() => {})
})

test('the drop sink refuses system databases and reports a failing backup without dropping', async () => {
  await client.db('kd_backup_fails').collection('c').insertOne({ _id: DAY_AGO() })
  const sink = mongoDropDatabaseSink({
    client,
    idle: false,
    backup: async () => { throw new Error('disk full') }
  })
  const outcomes = await sink.apply([{ key: 'admin' }, { key: 'kd_backup_fails' }])
  assert.equal(outcomes[0]?.ok, false)
  assert.equal(outcomes[0]?.retryable, false)
  assert.equal(outcomes[1]?.ok, false)
  assert.match(outcomes[1]?.error ?? '', /backup failed: disk full/)
  assert.ok((await databaseNames()).has('kd_backup_fails'))
  await client.db('kd_backup_fails').dropDatabase()
})
