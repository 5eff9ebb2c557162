import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { GetObjectTaggingCommand } from '@aws-sdk/client-s3'
import type { KeySource } from '@keydiff/core'
import { driver } from '@keydiff/s3'
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
before(async () => { server = await startS3rver() })
after(async () => { await server.stop() })

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

const context = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }
const section = (bucket: string) => ({ type: 's3', bucket, endpoint: server.endpoint, forcePathStyle: true, ...S3RVER_CREDENTIALS })

test('the s3 driver opens a store from a plain section: a listing, a range of it, and its location', async () => {
  const bucket = await server.createBucket(['a/1', 'a/2', 'b/1', 'b/2', 'c'].map(key => ({ key })))
  const store = driver.open(section(bucket), context)
  try {
    assert.equal(store.location(), `s3://${bucket}/`)
    assert.equal(store.location('b/'), `s3://${bucket}/b/`)
    assert.deepEqual(await keysOf(store.candidates()), ['a/1', 'a/2', 'b/1', 'b/2', 'c'])
    assert.deepEqual(await keysOf(store.candidates({ prefix: 'a/' })), ['a/1', 'a/2'])
    assert.deepEqual(await keysOf(store.candidates({ range: { after: 'a/2', upTo: 'b/2' } })), ['b/1', 'b/2'])
    assert.deepEqual(await keysOf(driver.open({ ...section(bucket), prefix: 'b/' }, context).candidates()), ['b/1', 'b/2'])
  } finally {
    await store.close()
  }
})

test('the s3 driver\'s sinks delete, tag and quarantine, and its restorer brings back from the recorded trash', async () => {
  const bucket = await server.createBucket(['gone', 'tagged', 'moved'].map(key => ({ key })))
  const store = driver.open(section(bucket), context)
  try {
    assert.ok((await store.sink({ type: 'delete' }).apply([{ key: 'gone' }])).every(outcome => outcome.ok))
    assert.ok((await store.sink({ type: 'tag', key: 'state', value: 'old' }).apply([{ key: 'tagged' }])).every(outcome => outcome.ok))
    const tags = await server.client().send(new GetObjectTaggingCommand({ Bucket: bucket, Key: 'tagged' }))
    assert.deepEqual(tags.TagSet?.map(tag => [tag.Key, tag.Value]), [['state', 'old']])
    const quarantine = store.sink({ type: 'quarantine', prefix: 'trash/' })
    assert.equal(store.trash?.({ type: 'quarantine', prefix: 'trash/' }), `s3://${bucket}/trash/`)
    assert.ok((await quarantine.apply([{ key: 'moved' }])).every(outcome => outcome.ok))
    assert.deepEqual(await server.listKeys(bucket), ['tagged', 'trash/moved'])
    const restorer = store.restorer?.(`s3://${bucket}/trash/`)
    assert.ok((await restorer?.restore([{ key: 'moved' }]))?.every(outcome => outcome.ok))
    assert.deepEqual(await server.listKeys(bucket), ['moved', 'tagged'])
    assert.throws(() => store.sink({ type: 'release-hold' }), TypeError)
  } finally {
    await store.close()
  }
})

test('the s3 driver\'s probe writes and removes one object under .keydiff/, and its lock is held in the bucket', async () => {
  const bucket = await server.createBucket([{ key: 'x' }])
  const store = driver.open(section(bucket), context)
  try {
    await store.probe({ type: 'quarantine' })
    await store.probe({ type: 'tag' })
    assert.deepEqual(await server.listKeys(bucket), ['x'])
    const lease = await store.lock().acquire({ owner: 'one' })
    await assert.rejects(driver.open(section(bucket), context).lock().acquire({ owner: 'two' }), { code: 'KEYDIFF_LOCK_HELD' })
    await lease.release()
    await assert.rejects(driver.open(section('no-such-bucket'), context).probe(), /NoSuchBucket|does not exist/)
  } finally {
    await store.close()
  }
})

test('credentials and an endpoint may come from the environment the store is opened in', async () => {
  const bucket = await server.createBucket([{ key: 'k' }])
  const env = { AWS_ENDPOINT_URL: server.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }
  const store = driver.open({ type: 's3', bucket, forcePathStyle: true }, { ...context, env })
  assert.deepEqual(await keysOf(store.candidates()), ['k'])
  await store.close()
  assert.deepEqual(driver.sectionOf?.({ authority: bucket, path: 'p/' }), { type: 's3', bucket, prefix: 'p/' })
  assert.throws(() => driver.open({ type: 's3' } as never, context), TypeError)
})
