import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { GetObjectCommand, GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand, type S3Client } from '@aws-sdk/client-s3'
import { type KeyEntry } from '@keydiff/core'
import { sinkSuite, type SinkFactory, type SinkFixture } from '@keydiff/core/conformance'
import { applyTagLifecycleRule, formatTagLifecycleRule, s3DeleteSink, s3Lock, s3QuarantineSink, s3Source, s3TagSink, tagLifecycleRule } from '@keydiff/s3'
import { refuseKeys, startS3rver, uniqueBucket, type FaultProxy, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
let proxy: FaultProxy

before(async () => {
  // Lenient: the proxy rewrites DeleteObjects bodies, which breaks their checksum header.
  server = await startS3rver({ lenient: true, maxAttempts: 1 })
  proxy = await server.startFaultProxy()
})

after(async () => {
  await server?.stop()
})

/** Keys s3rver cannot hold: empty path segments, path components over ~233 bytes. */
const s3rverHolds = (key: string): boolean => !key.includes('//') && Buffer.byteLength(key) <= 240

/** The entry a plan records of `key` (through s3Source), a writer's rewrite of it, and its content. */
function changes (admin: S3Client, bucket: string): Pick<SinkFixture, 'planned' | 'rewrite' | 'read'> {
  return {
    planned: async key => {
      for await (const batch of s3Source({ client: admin, bucket, prefix: key, concurrency: 1 })) {
        const entry = batch.find(candidate => candidate.key === key)
        if (entry !== undefined) return entry
      }
      throw new Error(`${key} is not in s3://${bucket}/`)
    },
    rewrite: async (key, body) => { await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body })) },
    read: async key => await readObject(admin, bucket, key)
  }
}

async function readObject (client: S3Client, bucket: string, key: string): Promise<Uint8Array | undefined> {
  try {
    const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    return await output.Body?.transformToByteArray()
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined
    throw error
  }
}

function sinkFactory (make: (client: S3Client, bucket: string) => SinkFixtureParts): SinkFactory {
  return async (entries: readonly KeyEntry[], { failKeys }) => {
    const admin = server.client()
    const bucket = await server.createBucket(entries)
    proxy.rule = failKeys === undefined ? () => undefined : refuseKeys(failKeys)
    const parts = make(server.client(proxy.endpoint), bucket)
    return {
      subject: { sink: parts.sink, actedOn: async key => await parts.actedOn(admin, bucket, key), ...changes(admin, bucket) },
      teardown: async () => {
        proxy.rule = () => undefined
        await server.removeBucket(bucket)
      }
    }
  }
}

interface SinkFixtureParts {
  sink: ReturnType<typeof s3DeleteSink> | ReturnType<typeof s3QuarantineSink>
  actedOn: (admin: S3Client, bucket: string, key: string) => Promise<boolean>
}

async function hasTag (client: S3Client, bucket: string, key: string): Promise<boolean> {
  const tags = await client.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: key }))
  return (tags.TagSet ?? []).some(tag => tag.Key === 'keydiff' && tag.Value === 'orphan')
}

sinkSuite({
  test,
  name: 's3DeleteSink',
  // s3rver's XML parser trims whitespace around a key in DeleteObjects (S3 keeps it).
  supports: { failures: true, canHold: key => s3rverHolds(key) && key.trim() === key },
  factory: sinkFactory((client, bucket) => ({
    sink: s3DeleteSink({ client, bucket, retryDelay: 5 }),
    actedOn: async (_admin, bucket, key) => !await server.exists(bucket, key)
  }))
})

sinkSuite({
  test,
  name: 's3QuarantineSink',
  // s3rver decodes x-amz-copy-source with decodeURI, which leaves %23, %24, %26, %2B, %2C, %3A, %3B, %3D, %3F, %40
  // escaped; S3 decodes them. Keys with those characters cannot be copied on s3rver.
  supports: { failures: true, canHold: key => s3rverHolds(key) && key.trim() === key && !/[#$&+,:;=?@]/.test(key) },
  factory: sinkFactory((client, bucket) => ({
    sink: s3QuarantineSink({ client, bucket, retryDelay: 5 }),
    actedOn: async (_admin, bucket, key) => !await server.exists(bucket, key) && await server.exists(bucket, `.keydiff-trash/${key}`)
  }))
})

sinkSuite({
  test,
  name: 's3TagSink',
  supports: { failures: true, canHold: s3rverHolds },
  factory: sinkFactory((client, bucket) => ({
    sink: s3TagSink({ client, bucket, retryDelay: 5 }),
    actedOn: async (admin, bucket, key) => await hasTag(admin, bucket, key)
  }))
})

test('the tag sink keeps the other tags of an object, and restore keeps them too', async () => {
  const admin = server.client()
  const bucket = await server.createBucket([{ key: 'a' }])
  try {
    await admin.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: 'a', Tagging: { TagSet: [{ Key: 'team', Value: 'x' }] } }))
    const sink = s3TagSink({ client: admin, bucket, tag: { key: 'expire', value: 'soon' } })
    assert.deepEqual(await sink.apply([{ key: 'a' }, { key: 'gone' }]), [{ key: 'a', ok: true }, { key: 'gone', ok: true }])
    const tagged = await admin.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'a' }))
    assert.deepEqual(tagged.TagSet, [{ Key: 'team', Value: 'x' }, { Key: 'expire', Value: 'soon' }])
    await sink.restore([{ key: 'a' }])
    const restored = await admin.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'a' }))
    assert.deepEqual(restored.TagSet, [{ Key: 'team', Value: 'x' }])
  } finally {
    await server.removeBucket(bucket)
  }
})

test('the lifecycle rule filters on the tag (and prefix), and applying it names the bucket when the store refuses', async () => {
  assert.deepEqual(tagLifecycleRule({ days: 30 }), {
    ID: 'keydiff-expire-tagged-orphans',
    Status: 'Enabled',
    Filter: { Tag: { Key: 'keydiff', Value: 'orphan' } },
    Expiration: { Days: 30 },
    NoncurrentVersionExpiration: { NoncurrentDays: 30 }
  })
  assert.deepEqual(tagLifecycleRule({ days: 7, prefix: 'blobs/', tag: { key: 'k', value: 'v' } }).Filter, { And: { Prefix: 'blobs/', Tags: [{ Key: 'k', Value: 'v' }] } })
  assert.deepEqual(JSON.parse(formatTagLifecycleRule({ days: 7 })).Rules[0].Expiration, { Days: 7 })
  assert.throws(() => tagLifecycleRule({ days: 0 }), { code: 'KEYDIFF_INVALID_OPTION' })
  // s3rver has no lifecycle configuration (NotImplemented); S3, MinIO and Ceph take the rule.
  const admin = server.client()
  const bucket = await server.createBucket([])
  try {
    await assert.rejects(applyTagLifecycleRule({ client: admin, bucket, days: 30 }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_SINK_FAILED')
      assert.ok(error.message.includes(`s3://${bucket}/`))
      return true
    })
  } finally {
    await server.removeBucket(bucket)
  }
})

test('a lock on a store that honours If-None-Match: a 412 on the write is a held lock (conditional write emulated by the proxy)', async () => {
  const bucket = await server.createBucket([])
  const client = server.client(proxy.endpoint)
  const first = s3Lock({ client, bucket })
  try {
    // Another process writes the lock between our check and our write: the store refuses ours with 412.
    proxy.rule = request => request.method === 'PUT' && request.headers['if-none-match'] === '*' ? { kind: 'error', status: 412, code: 'PreconditionFailed' } : undefined
    await assert.rejects(first.acquire({ owner: 'racer' }), { code: 'KEYDIFF_LOCK_HELD' })
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('a whole DeleteObjects request that keeps failing throws a KEYDIFF_SINK_FAILED error', async () => {
  const bucket = await server.createBucket([{ key: 'a' }])
  proxy.rule = request => request.method === 'POST' ? { kind: 'error', status: 503, code: 'SlowDown' } : undefined
  try {
    const sink = s3DeleteSink({ client: server.client(proxy.endpoint), bucket, retries: 2, retryDelay: 1 })
    await assert.rejects(sink.apply([{ key: 'a' }]), { code: 'KEYDIFF_SINK_FAILED' })
    assert.equal(await server.exists(bucket, 'a'), true)
  } finally {
    proxy.rule = () => undefined
    await server.removeBucket(bucket)
  }
})

test('quarantine into another bucket, and a trash prefix equal to nothing is refused', async () => {
  const admin = server.client()
  const bucket = await server.createBucket([{ key: 'x/1' }, { key: 'x/2' }])
  const trash = await server.createBucket([], { bucket: uniqueBucket('trash') })
  try {
    assert.throws(() => s3QuarantineSink({ client: admin, bucket, trashPrefix: '' }), { code: 'KEYDIFF_INVALID_OPTION' })
    const sink = s3QuarantineSink({ client: admin, bucket, trashBucket: trash, trashPrefix: '' })
    assert.deepEqual((await sink.apply([{ key: 'x/1' }])).map(o => o.ok), [true])
    assert.equal(await server.exists(trash, 'x/1'), true)
    assert.equal(await server.exists(bucket, 'x/1'), false)
    await sink.restore([{ key: 'x/1' }])
    assert.equal(await server.exists(bucket, 'x/1'), true)
    assert.equal(await server.exists(trash, 'x/1'), false)
  } finally {
    await server.removeBucket(bucket)
    await server.removeBucket(trash)
  }
})
