import { after, before, test } from 'node:test'
import { splitPointsSuite } from '@keydiff/core/conformance'
import { driver } from '@keydiff/s3'
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
before(async () => { server = await startS3rver() })
after(async () => { await server.stop() })

const context = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }

splitPointsSuite({
  test,
  name: 's3 driver splitPoints',
  // s3rver reports a common prefix only where an object lies directly under it (S3 does not ask that)
  supports: { levelsWithoutObjects: false },
  factory: async keys => {
    const bucket = await server.createBucket(keys.map(key => ({ key })))
    return {
      subject: {
        open: (section = {}) => driver.open({ type: 's3', bucket, endpoint: server.endpoint, forcePathStyle: true, maxAttempts: 1, ...S3RVER_CREDENTIALS, ...section }, context),
        namespace: bucket,
        remove: async () => { await server.removeBucket(bucket) }
      },
      teardown: async () => { await server.removeBucket(bucket) }
    }
  }
})
