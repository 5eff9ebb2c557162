import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import { type KeySource } from '@keydiff/core'
import { assertConnectionFailed, startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { gcsSource } from '../src/index.ts'

// The timeouts are the client's (the user's): a Storage with `timeout` and retryOptions,
// pointed at a listener that accepts and never answers, fails the listing with
// KEYDIFF_CONNECTION_FAILED naming the API endpoint; the adapter does not retry on top.
let silent: SilentEndpoint
before(async () => { silent = await startSilentEndpoint() })
after(async () => { await silent.stop() })

async function drain (source: KeySource): Promise<void> {
  for await (const batch of source) assert.ok(batch.length >= 0)
}

test('a silent API endpoint fails the listing with KEYDIFF_CONNECTION_FAILED naming it, within the client\'s timeout and retries', async () => {
  const storage = new Storage({ apiEndpoint: `http://${silent.address}`, projectId: 'keydiff-test', timeout: 300, retryOptions: { maxRetries: 1, retryDelayMultiplier: 1 } })
  const started = performance.now()
  await assert.rejects(drain(gcsSource({ client: storage, bucket: 'blobs', retryDelay: 1 })), error => assertConnectionFailed(error, { endpoint: `http://${silent.address}` }))
  assert.ok(performance.now() - started < 10_000, `${Math.round(performance.now() - started)} ms`)
})
