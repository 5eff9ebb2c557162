import assert from 'node:assert/strict'
import http from 'node:http'
import { after, before, test } from 'node:test'
import { Client } from 'minio'
import { type KeySource } from '@keydiff/core'
import { assertConnectionFailed, startSilentEndpoint, type SilentEndpoint } from '@keydiff/core/conformance'
import { minioSource } from '../src/index.ts'

// The minio client has no timeout of its own: a user gives it a `transport` whose requests
// time out (as the CLI does). Pointed at a listener that accepts and never answers, the
// listing fails with KEYDIFF_CONNECTION_FAILED naming the endpoint, after `retries` + 1 tries.
const SECRET = 'hunter2-not-printed'
let silent: SilentEndpoint
before(async () => { silent = await startSilentEndpoint() })
after(async () => { await silent.stop() })

const timingOut = (ms: number): Pick<typeof http, 'request'> => ({
  request: ((...args: Parameters<typeof http.request>) => {
    const req = (http.request as (...a: Parameters<typeof http.request>) => http.ClientRequest)(...args)
    req.setTimeout(ms, () => { req.destroy(Object.assign(new Error(`no answer within ${ms} ms`), { code: 'ETIMEDOUT' })) })
    return req
  }) as typeof http.request
})

async function drain (source: KeySource): Promise<void> {
  for await (const batch of source) assert.ok(batch.length >= 0)
}

test('a silent endpoint fails the listing with KEYDIFF_CONNECTION_FAILED naming it, within the transport\'s timeout and the retries', async () => {
  const client = new Client({ endPoint: '127.0.0.1', port: silent.port, useSSL: false, accessKey: 'keydiff', secretKey: SECRET, region: 'us-east-1', transport: timingOut(300) })
  const started = performance.now()
  const before = silent.accepted
  await assert.rejects(drain(minioSource({ client, bucket: 'blobs', retries: 1, retryDelay: 1 })), error => assertConnectionFailed(error, { endpoint: silent.address, secret: SECRET }))
  assert.equal(silent.accepted - before, 2, 'one try and one retry')
  assert.ok(performance.now() - started < 10_000)
})
