import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { lockSuite } from '@keydiff/core/conformance'
import { gcsLock } from '../src/index.ts'
import { fillBucket, removeBucket, startContext } from './helpers.ts'
import type { TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

lockSuite({
  test,
  name: 'gcs lock',
  factory: async () => {
    const bucket = fillBucket(context, [], { defaultEventBasedHold: true })
    return {
      subject: {
        lock: () => gcsLock({ client: context.storage, bucket }),
        break: async () => { removeBucket(context, bucket) }
      },
      teardown: async () => { removeBucket(context, bucket) }
    }
  }
})

test('gcs lock: a lease that was taken over does not remove its successor', async () => {
  const bucket = fillBucket(context, [])
  const first = await gcsLock({ client: context.storage, bucket }).acquire({ owner: 'a' })
  const second = await gcsLock({ client: context.storage, bucket }).acquire({ owner: 'b', force: true })
  await first.release()
  assert.match(context.server.store.object(bucket, '.keydiff/lock').data.toString(), /"owner":"b"/)
  await second.release()
  assert.equal(context.server.store.bucket(bucket).objects.size, 0)
  removeBucket(context, bucket)
})
