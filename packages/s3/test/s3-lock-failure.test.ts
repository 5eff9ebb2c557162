import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { after, before, test } from 'node:test'
import { KeydiffError, LockError } from '@keydiff/core'
import { lockSuite } from '@keydiff/core/conformance'
import { s3Lock } from '@keydiff/s3'
import { startFaultProxy, startS3rver, uniqueBucket, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer

before(async () => {
  server = await startS3rver()
})

after(async () => {
  await server?.stop()
})

// s3rver ignores If-None-Match and If-Match: these runs go through the lock's read-back
// checks, not the store's conditional writes (see s3Lock).
lockSuite({
  test,
  name: 's3Lock',
  factory: async () => {
    const bucket = await server.createBucket([])
    return {
      subject: {
        lock: () => s3Lock({ client: server.client(), bucket }),
        // The bucket goes, lock object and all: every request on it fails with NoSuchBucket.
        break: async () => { await server.removeBucket(bucket) }
      },
      teardown: async () => { await server.removeBucket(bucket) }
    }
  }
})

test('a lock whose storage fails (its bucket does not exist) is a LockError, KEYDIFF_LOCK_FAILED, naming the adapter and the lock', async () => {
  const bucket = uniqueBucket('gone')
  const lock = s3Lock({ client: server.client(), bucket })
  await assert.rejects(lock.acquire({ owner: 'test' }), (error: unknown) => {
    assert.ok(error instanceof LockError)
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_LOCK_FAILED')
    assert.equal(error.adapter, 's3')
    assert.equal(error.target, `s3://${bucket}/.keydiff/lock`)
    assert.equal(error.retryable, true)
    assert.ok(error.cause !== undefined)
    return true
  })
})

test('s3Lock renews conditionally: a renewal refused with 412 (If-Match, emulated by the proxy) reports the lease lost', async () => {
  // s3rver ignores the condition; the proxy answers 412 where S3 would, and only when the header was sent.
  const proxy = await startFaultProxy(server.endpoint)
  const bucket = await server.createBucket([])
  const lock = s3Lock({ client: server.client(proxy.endpoint), bucket })
  try {
    const lease = await lock.acquire({ owner: 'a', ttl: 300 })
    proxy.rule = request => request.method === 'PUT' && typeof request.headers['if-match'] === 'string' ? { kind: 'error', status: 412, code: 'PreconditionFailed' } : undefined
    for (let waited = 0; !lease.signal.aborted; waited += 20) {
      assert.ok(waited < 3000, 'a renewal refused with 412 should report the lease lost')
      await sleep(20)
    }
    assert.equal((lease.signal.reason as KeydiffError).code, 'KEYDIFF_LOCK_FAILED')
    proxy.rule = () => undefined
    await lease.release()
  } finally {
    proxy.rule = () => undefined
    await proxy.close()
    await server.removeBucket(bucket)
  }
})
