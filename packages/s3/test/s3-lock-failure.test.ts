import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { KeydiffError, LockError } from '@keydiff/core'
import { s3Lock } from '@keydiff/s3'
import { startS3rver, uniqueBucket, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer

before(async () => {
  server = await startS3rver()
})

after(async () => {
  await server?.stop()
})

test('a lock whose storage fails (its bucket does not exist) is a LockError, KEYDIFF_LOCK_FAILED, naming the adapter and the lock', async () => {
  const bucket = uniqueBucket('gone')
  const lock = s3Lock({ client: server.client(), bucket })
  await assert.rejects(lock.acquire({ owner: 'test' }), (error: unknown) => {
    assert.ok(error instanceof LockError)
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_LOCK_FAILED')
    assert.equal(error.adapter, 's3')
    assert.equal(error.target, `s3://${bucket}/.keydiff.lock`)
    assert.equal(error.retryable, true)
    assert.ok(error.cause !== undefined)
    return true
  })
})
