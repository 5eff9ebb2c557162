import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { S3Client } from '@aws-sdk/client-s3'
import { KeydiffError, type KeySource } from '@keydiff/core'
import { s3Source } from '../src/index.ts'

// The timeouts are the client's (the user's): an S3Client whose request handler has a
// connection and socket timeout, pointed at a listener that accepts and never answers, fails
// the listing with KEYDIFF_CONNECTION_FAILED naming the endpoint within maxAttempts tries
// (the adapter does not retry a timeout the client already retried).
const SECRET = 'hunter2-not-printed'
let server: Server
let port: number
let accepted = 0
const sockets = new Set<Socket>()
before(async () => {
  server = createServer(socket => { accepted++; sockets.add(socket); socket.on('error', () => {}) })
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

test('a silent endpoint fails the listing with KEYDIFF_CONNECTION_FAILED naming it, after the client\'s maxAttempts only', async () => {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAKEYDIFF', secretAccessKey: SECRET },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 300, socketTimeout: 300 }
  })
  const started = performance.now()
  try {
    for (const concurrency of [1, 4]) {
      const before = accepted
      await assert.rejects(drain(s3Source({ client, bucket: 'blobs', concurrency, retryDelayMs: 1 })), (error: unknown) => {
        assert.ok(error instanceof KeydiffError, String(error))
        assert.equal(error.code, 'KEYDIFF_CONNECTION_FAILED', error.message)
        assert.ok(error.message.includes(`127.0.0.1:${port}`), error.message)
        assert.ok(!error.message.includes(SECRET), error.message)
        return true
      })
      assert.ok(accepted - before <= 2, `${accepted - before} connections for one request of maxAttempts 2`)
    }
  } finally {
    client.destroy()
  }
  assert.ok(performance.now() - started < 10_000)
})
