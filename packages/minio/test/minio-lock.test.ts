import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { lockSuite } from '@keydiff/core/conformance'
import { startFaultProxy, startS3rver, S3RVER_CREDENTIALS, type S3rverServer } from '@keydiff/s3/testing'
import { Client } from 'minio'
import { minioLock } from '../src/index.ts'

let server: S3rverServer

before(async () => { server = await startS3rver() })
after(async () => { await server?.stop() })

function minioClient (port: number): Client {
  return new Client({ endPoint: '127.0.0.1', port, useSSL: false, accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey, pathStyle: true, region: 'us-east-1' })
}

const port = (): number => Number(new URL(server.endpoint).port)

// s3rver ignores If-None-Match and If-Match: these runs go through the lock's read-back
// checks; the test after them shows the headers are sent and a 412 is understood.
lockSuite({
  test,
  name: 'minioLock',
  factory: async () => {
    const bucket = await server.createBucket([])
    return {
      subject: {
        lock: () => minioLock({ client: minioClient(port()), bucket }),
        // The bucket goes, lock object and all: every request on it fails.
        break: async () => { await server.removeBucket(bucket) }
      },
      teardown: async () => { await server.removeBucket(bucket) }
    }
  }
})

test('minioLock writes conditionally: a create refused with 412 is a held lock, a renewal refused with 412 a lost lease', async () => {
  // The proxy answers 412 where MinIO would, and only when the header was sent.
  const proxy = await startFaultProxy(server.endpoint)
  const bucket = await server.createBucket([])
  const lock = minioLock({ client: minioClient(Number(new URL(proxy.endpoint).port)), bucket })
  try {
    proxy.rule = request => request.method === 'PUT' && request.headers['if-none-match'] === '*' ? { kind: 'error', status: 412, code: 'PreconditionFailed' } : undefined
    await assert.rejects(lock.acquire({ owner: 'a' }), { code: 'KEYDIFF_LOCK_HELD' })
    proxy.rule = () => undefined
    const lease = await lock.acquire({ owner: 'a', ttl: 300 })
    proxy.rule = request => request.method === 'PUT' && typeof request.headers['if-match'] === 'string' ? { kind: 'error', status: 412, code: 'PreconditionFailed' } : undefined
    for (let waited = 0; !lease.signal.aborted; waited += 20) {
      assert.ok(waited < 3000, 'a renewal refused with 412 should report the lease lost')
      await sleep(20)
    }
    assert.equal((lease.signal.reason as { code?: string }).code, 'KEYDIFF_LOCK_FAILED')
    proxy.rule = () => undefined
    await lease.release()
    assert.deepEqual(await server.listKeys(bucket), [], 'the lease was still the object\'s, so release removed it')
  } finally {
    proxy.rule = () => undefined
    await proxy.close()
    await server.removeBucket(bucket)
  }
})

test('minioLock without a client or bucket is a TypeError naming the option', () => {
  assert.throws(() => minioLock({ bucket: 'b' } as never), /options\.client/)
  assert.throws(() => minioLock({ client: minioClient(1), bucket: '' }), /options\.bucket/)
})
