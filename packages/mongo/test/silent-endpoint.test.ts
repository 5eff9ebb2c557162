import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { MongoClient } from 'mongodb'
import { type KeySource } from '@keydiff/core'
import { assertConnectionFailed, startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { mongoDatabases, mongoLookup, mongoReferences } from '../src/index.ts'

// The timeouts are the client's (the user's): a client with serverSelectionTimeoutMS pointed at
// a listener that accepts and never answers fails each entry point with
// KEYDIFF_CONNECTION_FAILED naming the hosts, without the password, instead of a raw
// MongoServerSelectionError.
const PASSWORD = 'hunter2-not-printed'
let silent: SilentEndpoint
before(async () => { silent = await startSilentEndpoint() })
after(async () => { await silent.stop() })

async function drain (source: KeySource): Promise<void> {
  for await (const batch of source) assert.ok(batch.length >= 0)
}

const refused = (error: unknown) => assertConnectionFailed(error, { endpoint: silent.address, secret: PASSWORD })

test('a silent server fails references, database names and look-ups with KEYDIFF_CONNECTION_FAILED within serverSelectionTimeoutMS', async () => {
  const client = new MongoClient(`mongodb://keydiff:${PASSWORD}@${silent.address}/refs`, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 })
  const started = performance.now()
  try {
    await assert.rejects(drain(mongoReferences({ client, database: 'refs', collection: 'files', field: 'path' })), refused)
    await assert.rejects(drain(mongoDatabases({ client })), refused)
    await assert.rejects(mongoLookup({ client, database: 'refs', collection: 'files', field: 'path' }).has(['a']), refused)
  } finally {
    await client.close()
  }
  assert.ok(performance.now() - started < 10_000)
})
