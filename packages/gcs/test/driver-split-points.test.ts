import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { splitPointsSuite } from '@keydiff/core/conformance'
import { driver } from '@keydiff/gcs'
import { fillBucket, removeBucket, startContext, type TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

const opening = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }
const section = (bucket: string, prefix?: string) => ({ type: 'gcs', bucket, apiEndpoint: context.server.endpoint, projectId: 'keydiff-test', maxAttempts: 1, ...(prefix === undefined ? {} : { prefix }) })

splitPointsSuite({
  test,
  name: 'gcs driver splitPoints',
  factory: async keys => {
    const bucket = fillBucket(context, keys.map(key => ({ key })))
    return {
      subject: {
        open: (options = {}) => driver.open(section(bucket, options.prefix), opening),
        namespace: bucket,
        remove: async () => { removeBucket(context, bucket) }
      },
      teardown: async () => { removeBucket(context, bucket) }
    }
  }
})

test('gcs driver splitPoints: enough points on the first level take one delimited listing', async () => {
  const bucket = fillBucket(context, ['docs/a/1.md', 'images/2024/y.jpg', 'logs/l.log', 'top.txt'].map(key => ({ key })))
  const store = driver.open(section(bucket), opening)
  const before = context.server.log.length
  try {
    assert.deepEqual(await store.splitPoints?.({ count: 3 }), ['docs/', 'images/', 'logs/'])
  } finally {
    await store.close()
    removeBucket(context, bucket)
  }
  const lists = context.server.log.slice(before).filter(request => request.operation === 'objects.list')
  assert.deepEqual(lists.map(request => [request.query.get('prefix'), request.query.get('delimiter')]), [[null, '/']])
})
