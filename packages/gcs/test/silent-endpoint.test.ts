import assert from 'node:assert/strict'
import { createServer, type Server, type Socket } from 'node:net'
import { after, before, test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import { KeydiffError, type KeySource } from '@keydiff/core'
import { gcsSource } from '../src/index.ts'

// The timeouts are the client's (the user's): a Storage with `timeout` and retryOptions,
// pointed at a listener that accepts and never answers, fails the listing with
// KEYDIFF_CONNECTION_FAILED naming the API endpoint; the adapter does not retry on top.
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

test('a silent API endpoint fails the listing with KEYDIFF_CONNECTION_FAILED naming it, within the client\'s timeout and retries', async () => {
  const storage = new Storage({ apiEndpoint: `http://127.0.0.1:${port}`, projectId: 'keydiff-test', timeout: 300, retryOptions: { maxRetries: 1, retryDelayMultiplier: 1 } })
  const started = performance.now()
  await assert.rejects(drain(gcsSource({ storage, bucket: 'blobs', retryDelay: 1 })), (error: unknown) => {
    assert.ok(error instanceof KeydiffError, String(error))
    assert.equal(error.code, 'KEYDIFF_CONNECTION_FAILED', error.message)
    assert.ok(error.message.includes(`http://127.0.0.1:${port}`), error.message)
    return true
  })
  assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`)
})
