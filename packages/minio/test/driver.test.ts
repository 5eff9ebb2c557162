import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { KeySource } from '@keydiff/core'
import { driver } from '@keydiff/minio'
import { S3RVER_CREDENTIALS, startS3rver, type S3rverServer } from '@keydiff/s3/testing'

let server: S3rverServer
let workdir: string
before(async () => {
  server = await startS3rver()
  workdir = await mkdtemp(join(tmpdir(), 'keydiff-minio-driver-'))
})
after(async () => {
  await server.stop()
  await rm(workdir, { recursive: true, force: true })
})

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

const section = (bucket: string) => ({
  type: 'minio', bucket, endPoint: '127.0.0.1', port: server.port, useSSL: false, pathStyle: true, region: 'us-east-1',
  accessKey: S3RVER_CREDENTIALS.accessKeyId, secretKey: S3RVER_CREDENTIALS.secretAccessKey
})

test('the minio driver lists a store and a range (startAfter, stopping past the end), deletes, tags, probes and locks', async () => {
  const bucket = await server.createBucket(['a/1', 'a/2', 'b/1', 'b/2', 'c'].map(key => ({ key })))
  const store = driver.open(section(bucket), { env: {}, baseDir: workdir, workdir })
  assert.equal(store.location(), `minio://${bucket}/`)
  assert.deepEqual(await keysOf(store.candidates()), ['a/1', 'a/2', 'b/1', 'b/2', 'c'])
  assert.deepEqual(await keysOf(store.candidates({ range: { after: 'a/2', upTo: 'b/2' } })), ['b/1', 'b/2'])
  assert.ok((await store.sink({ type: 'delete' }).apply([{ key: 'c' }])).every(outcome => outcome.ok))
  assert.ok((await store.sink({ type: 'tag' }).apply([{ key: 'a/1' }])).every(outcome => outcome.ok))
  await store.probe({ type: 'delete' })
  assert.deepEqual(await server.listKeys(bucket), ['a/1', 'a/2', 'b/1', 'b/2'])
  const lease = await store.lock().acquire()
  await assert.rejects(store.lock().acquire(), { code: 'KEYDIFF_LOCK_HELD' })
  await lease.release()
  assert.throws(() => store.sink({ type: 'quarantine' }), TypeError)
  assert.throws(() => driver.open({ type: 'minio', bucket } as never, { env: {}, baseDir: workdir, workdir }), /endPoint is required/)
})
