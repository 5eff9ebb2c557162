import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { compareKeys } from '@keydiff/core'
import type { OpenedStore } from '@keydiff/core/adapter'
import { driver } from '@keydiff/gcs'
import { fillBucket, startContext, type TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

const opening = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }
const section = (bucket: string, prefix?: string) => ({ type: 'gcs', bucket, apiEndpoint: context.server.endpoint, projectId: 'keydiff-test', maxAttempts: 1, ...(prefix === undefined ? {} : { prefix }) })
const bucketOf = (keys: readonly string[]): string => fillBucket(context, keys.map(key => ({ key })))

async function pointsOf (store: OpenedStore, options: { count: number, prefix?: string, delimiter?: string }): Promise<string[]> {
  assert.ok(store.splitPoints !== undefined, 'a GCS store discovers split points')
  try {
    return await store.splitPoints(options)
  } finally {
    await store.close()
  }
}

const NESTED = ['docs/a/1.md', 'docs/b/2.md', 'images/2023/x.jpg', 'images/2024/deep/z.jpg', 'images/2024/y.jpg', 'logs/l.log', 'top.txt']

test('split points are the common prefixes, level after level, until there are count of them, in byte order', async () => {
  const bucket = bucketOf(NESTED)
  const before = context.server.log.length
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 3 }), ['docs/', 'images/', 'logs/'])
  // one delimited listing of the first level was enough
  const lists = context.server.log.slice(before).filter(request => request.operation === 'objects.list')
  assert.deepEqual(lists.map(request => [request.query.get('prefix'), request.query.get('delimiter')]), [[null, '/']])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 4 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'logs/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 100 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'images/2024/deep/', 'logs/'])
})

test('byte order of the prefixes, not the order of JavaScript strings', async () => {
  const bucket = bucketOf(['a/x', 'a-b/x', 'Zed/x', 'é/x', '\u{e000}/x', '\u{1f600}/x', 'a/b/x', 'a/B/x', 'sp ace+/x'])
  const points = await pointsOf(driver.open(section(bucket), opening), { count: 100 })
  assert.deepEqual(points, ['Zed/', 'a-b/', 'a/', 'a/B/', 'a/b/', 'sp ace+/', 'é/', '\u{e000}/', '\u{1f600}/'])
  assert.deepEqual([...points].sort(compareKeys), points)
})

test('descent stops at four levels, however few points were found', async () => {
  const bucket = bucketOf(['1/2/3/4/5/6/file'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 100 }), ['1/', '1/2/', '1/2/3/', '1/2/3/4/'])
})

test('a prefix given, or the section\'s own, keeps the points under it', async () => {
  const bucket = bucketOf(NESTED)
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 100, prefix: 'images/' }), ['images/2023/', 'images/2024/', 'images/2024/deep/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket, 'images/'), opening), { count: 1 }), ['images/2023/', 'images/2024/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket, 'images/'), opening), { count: 1, prefix: 'docs/' }), ['docs/a/', 'docs/b/'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 1, prefix: 'im' }), ['images/'])
})

test('another delimiter cuts at its own prefixes', async () => {
  const bucket = bucketOf(['2024-01-a', '2024-01-b', '2024-02-a', '2025-01-a'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 8, delimiter: '-' }), ['2024-', '2024-01-', '2024-02-', '2025-', '2025-01-'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 8 }), [])
})

test('an empty bucket, a flat one and keydiff\'s own work area give no points', async () => {
  assert.deepEqual(await pointsOf(driver.open(section(bucketOf([])), opening), { count: 8 }), [])
  assert.deepEqual(await pointsOf(driver.open(section(bucketOf(['a', 'b', 'c'])), opening), { count: 8 }), [])
  const bucket = bucketOf(['.keydiff/lock', '.keydiff/runs/1/part', 'data/x'])
  assert.deepEqual(await pointsOf(driver.open(section(bucket), opening), { count: 8 }), ['data/'])
})

test('a bucket that does not exist fails naming it; a count it cannot use is a TypeError', async () => {
  await assert.rejects(pointsOf(driver.open({ ...section('no-such-bucket'), maxAttempts: 1 }, opening), { count: 4 }), (error: Error & { code?: string }) => error.code === 'KEYDIFF_SOURCE_NOT_FOUND' && /no-such-bucket/.test(error.message))
  const bucket = bucketOf(['a/b'])
  await assert.rejects(pointsOf(driver.open(section(bucket), opening), { count: 0 }), TypeError)
  await assert.rejects(pointsOf(driver.open(section(bucket), opening), { count: 2, delimiter: '' }), TypeError)
})
