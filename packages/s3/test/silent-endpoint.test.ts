import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { S3Client } from '@aws-sdk/client-s3'
import { type KeySource } from '@keydiff/core'
import { assertConnectionFailed, startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { s3Source } from '../src/index.ts'

// The timeouts are the client's (the user's): an S3Client whose request handler has a
// connection and socket timeout, pointed at a listener that accepts and never answers, fails
// the listing with KEYDIFF_CONNECTION_FAILED naming the endpoint within maxAttempts tries
// (the adapter does not retry a timeout the client already retried).
const SECRET = 'hunter2-not-printed'
let silent: SilentEndpoint
before(async () => { silent = await startSilentEndpoint() })
after(async () => { await silent.stop() })

async function drain (source: KeySource): Promise<void> {
  for await (const batch of source) assert.ok(batch.length >= 0)
}

test('a silent endpoint fails the listing with KEYDIFF_CONNECTION_FAILED naming it, after the client\'s maxAttempts only', async () => {
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: `http://${silent.address}`,
    forcePathStyle: true,
    credentials: { accessKeyId: 'AKIAKEYDIFF', secretAccessKey: SECRET },
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 300, socketTimeout: 300 }
  })
  const started = performance.now()
  try {
    for (const concurrency of [1, 4]) {
      const before = silent.accepted
      await assert.rejects(drain(s3Source({ client, bucket: 'blobs', concurrency, retryDelay: 1 })), error => assertConnectionFailed(error, { endpoint: silent.address, secret: SECRET }))
      const tries = silent.accepted - before
      assert.ok(tries <= 2, `${tries} connections for one request of maxAttempts 2`)
    }
  } finally {
    client.destroy()
  }
  assert.ok(performance.now() - started < 10_000)
})
