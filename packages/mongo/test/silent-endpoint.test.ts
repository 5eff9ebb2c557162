import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { MongoClient } from 'mongodb'
import { KeydiffError, type KeySource } from '@keydiff/core'
import { mongoDatabases, mongoLookup, mongoReferences } from '../src/index.ts'

// The timeouts are the client's (the user's): a client with serverSelectionTimeoutMS pointed at
// a listener that accepts and never answers fails each entry point with
// KEYDIFF_CONNECTION_FAILED naming the hosts, without the password, instead of a raw
// MongoServerSelectionError.
const PASSWORD = 'hunter2-not-printed'
let server: Server
let port: number
const sockets = new Set<Socket>()
before(async () => {
  server = createServer(socket => { sockets.add(socket); socket.on('error', () => {}) })
  await new Promise<void>(resolve => { server.listen(0, '127.0.0.1', resolve) })
  port = (server.address() as { port: number }).port
})
after(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>(resolve => { server.close(() => { resolve() }) })
})

async function drain (source: KeySource): Promise<void> {
  for await (const batch of source) assert.ok(batch.length >= 0)
}

const refused = (error: unknown): boolean => {
  assert.ok(error instanceof KeydiffError, String(error))
  assert.equal(error.code, 'KEYDIFF_CONNECTION_FAILED', error.message)
  assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message)
  assert.ok(!error.message.includes(PASSWORD), error.message)
  return true
}

test('a silent server fails references, database names and look-ups with KEYDIFF_CONNECTION_FAILED within serverSelectionTimeoutMS', async () => {
  const client = new MongoClient(`mongodb://keydiff:${PASSWORD}@127.0.0.1:${port}/refs`, { serverSelectionTimeoutMS: 300, connectTimeoutMS: 300 })
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
