import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { KeySource } from '@keydiff/core'
import { ObjectId, type MongoClient } from 'mongodb'
import { driver } from '../src/index.ts'
import { startTestServer, type TestServer } from '../src/testing.ts'

let server: TestServer
let client: MongoClient
let dir: string
before(async () => {
  server = await startTestServer()
  client = await server.client()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-mongo-driver-'))
})
after(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

test('the mongo driver lists database names (a range of them), drops idle ones after a backup, probes and locks', async () => {
  const old = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 86400)
  for (const name of ['drv_a', 'drv_b', 'drv_c']) await client.db(name).collection('c').insertOne({ _id: old })
  const store = driver.open({ type: 'mongo', url: server.url, include: '^drv_' }, { env: {}, baseDir: dir, workdir: dir })
  try {
    assert.equal(store.location(), `mongodb://${new URL(server.url).host}/`, 'the hosts, never a password')
    assert.deepEqual(await keysOf(store.candidates()), ['drv_a', 'drv_b', 'drv_c'])
    assert.deepEqual(await keysOf(store.candidates({ range: { after: 'drv_a', upTo: 'drv_b' } })), ['drv_b'])
    const sink = store.sink({ type: 'drop-database', backup: 'backups', idle: '1h' })
    assert.ok((await sink.apply([{ key: 'drv_b' }])).every(outcome => outcome.ok))
    assert.deepEqual(await keysOf(store.candidates()), ['drv_a', 'drv_c'])
    assert.ok((await readdir(join(dir, 'backups'))).some(file => file.startsWith('drv_b')), 'backed up before the drop')
    await store.probe({ type: 'drop-database' })
    const lease = await store.lock().acquire()
    await assert.rejects(store.lock().acquire(), { code: 'KEYDIFF_LOCK_HELD' })
    await lease.release()
    assert.throws(() => store.sink({ type: 'delete' }), TypeError)
  } finally {
    for (const name of ['drv_a', 'drv_c']) await client.db(name).dropDatabase()
    await store.close()
  }
})
