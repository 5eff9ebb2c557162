import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { compareKeys } from '@keydiff/core'
import type { OpenedStore } from '@keydiff/core/adapter'
import { driver } from '@keydiff/minio'
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
before(async () => { server = await startS3rver() })
after(async () => { await server.stop() })

const context = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }
const section = (bucket: string, prefix?: string) => ({
  type: 'minio', bucket, endPoint: '127.0.0.1', port: server.port, useSSL: false, pathStyle: true, region: 'us-east-1',
  accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey, ...(prefix === undefined ? {} : { prefix })
})

async function pointsOf (store: OpenedStore, options: { count: number, prefix?: string, delimiter?: string }): Promise<string[]> {
  assert.ok(store.splitPoints !== undefined, 'a MinIO store discovers split points')
  try {
    return await store.splitPoints(options)
  } finally {
    await store.close()
  }
}

// s3rver reports a common prefix only where an object lies directly under it, so each level has one
const NESTED = ['docs/a/1.md', 'docs/b/2.md', 'docs/index', 'images/2023/x.jpg', 'images/2024/deep/z.jpg', 'images/2024/y.jpg', 'images/index', 'logs/l.log', 'top.txt']

test('split points are the common prefixes, level after level, until there are count of them, in byte order', async () => {
  const bucket = await server.createBucket(NESTED.map(key => ({ key })))
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 3 }), ['docs/', 'images/', 'logs/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 4 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'logs/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 100 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'images/2024/deep/', 'logs/'])
})

// no '+': s3rver sends keys unencoded and the minio client decodes them, so '+' would come back a space (minio.test.ts)
test('byte order of the decoded prefixes, not the order of JavaScript strings', async () => {
  const bucket = await server.createBucket(['a/x', 'a-b/x', 'Zed/x', 'é/x', '\u{e000}/x', '\u{1f600}/x', 'a/b/x', 'a/B/x', 'sp ace/x'].map(key => ({ key })))
  const points = await pointsOf(driver.open(section(bucket), context), { count: 100 })
  assert.deepEqual(points, ['Zed/', 'a-b/', 'a/', 'a/B/', 'a/b/', 'sp ace/', 'é/', '\u{e000}/', '\u{1f600}/'])
  assert.deepEqual([...points].sort(compareKeys), points)
})

test('descent stops at four levels, however few points were found', async () => {
  const bucket = await server.createBucket(['1/f', '1/2/f', '1/2/3/f', '1/2/3/4/f', '1/2/3/4/5/f', '1/2/3/4/5/6/f'].map(key => ({ key })))
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 100 }), ['1/', '1/2/', '1/2/3/', '1/2/3/4/'])
})

test('a prefix given, or the section\'s own, keeps the points under it', async () => {
  const bucket = await server.createBucket(NESTED.map(key => ({ key })))
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 100, prefix: 'images/' }), ['images/2023/', 'images/2024/', 'images/2024/deep/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket, 'images/'), context), { count: 1 }), ['images/2023/', 'images/2024/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket, 'images/'), context), { count: 1, prefix: 'docs/' }), ['docs/a/', 'docs/b/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 1, prefix: 'im' }), ['images/'])
})

test('another delimiter cuts at its own prefixes', async () => {
  const bucket = await server.createBucket(['2024-01-a', '2024-01-b', '2024-02-a', '2025-01-a'].map(key => ({ key })))
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 8, delimiter: '-' }), ['2024-', '2024-01-', '2024-02-', '2025-', '2025-01-'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 8 }), [])
})

test('an empty bucket, a flat one and keydiff\'s own work area give no points', async () => {
  assert.deepEqual(await pointsOf(driver.open(section(await server.createBucket([])), context), { count: 8 }), [])
  assert.deepEqual(await pointsOf(driver.open(section(await server.createBucket(['a', 'b', 'c'].map(key => ({ key })))), context), { count: 8 }), [])
  const bucket = await server.createBucket(['.keydiff/lock', '.keydiff/runs/1/part', 'data/x'].map(key => ({ key })))
  assert.deepEqual(await pointsOf(driver.open(section(bucket), context), { count: 8 }), ['data/'])
})

test('a bucket that does not exist fails naming it; a count it cannot use is a TypeError', async () => {
  await assert.rejects(pointsOf(driver.open({ ...section('no-such-bucket'), maxAttempts: 1 }, context), { count: 4 }), /no-such-bucket/)
  const bucket = await server.createBucket([{ key: 'a/b' }])
  await assert.rejects(pointsOf(driver.open(section(bucket), context), { count: 0 }), TypeError)
  await assert.rejects(pointsOf(driver.open(section(bucket), context), { count: 2, delimiter: '' }), TypeError)
})
