import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { linesSource, plan, readPlan } from '@keydiff/core'
import { driver } from '@keydiff/s3'
import { startS3rver, S3RVER_CREDENTIALS, type S3rverServer } from '@keydiff/s3/testing'
import { hexRanges, planDistributed } from '../src/index.ts'
import { Cluster, REDIS_URL } from './fixtures/cluster.ts'
import type { S3TestRun } from './fixtures/s3-opener.ts'

let cluster: Cluster
let server: S3rverServer

before(async () => {
  cluster = await Cluster.start()
  server = await startS3rver()
})
after(async () => {
  await cluster?.stop()
  await server?.stop()
})

test('a distributed plan of a bucket on the S3 stand-in, listed by range, equals the single-process plan; credentials come from each worker\'s environment', async () => {
  const keys = Array.from({ length: 600 }, (_, i) => `blobs/${createHash('sha1').update(String(i)).digest('hex')}`)
  const bucket = await server.createBucket(keys.map(key => ({ key, size: 3 })))
  const references = join(cluster.shared, 'references.txt')
  await writeFile(references, keys.filter((_, i) => i % 6 !== 0).join('\n') + '\n')
  const env = { AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey, AWS_ENDPOINT_URL_S3: server.endpoint }
  await Promise.all([cluster.worker(env), cluster.worker(env)])

  // the objects are seconds old: the fence (grace 0) counts back from a time after they were written
  await new Promise(resolve => setTimeout(resolve, 1500))
  const referencesAsOf = new Date()
  const store = driver.open({ type: 's3', bucket, forcePathStyle: true }, { env, baseDir: '/', workdir: '/tmp' })
  const single = await plan({ candidates: store.candidates(), references: linesSource(references), store: store.location(), grace: 0, acknowledgeZeroGrace: true, referencesAsOf, out: join(cluster.shared, 'single.jsonl') })
  await store.close()
  const expected: string[] = []
  for await (const batch of (await readPlan(single.path)).batches()) expected.push(...batch.map(entry => entry.key))
  assert.equal(expected.length, 100)

  const description: S3TestRun = { bucket, references }
  const result = await planDistributed({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared, description, ranges: hexRanges(4, { prefix: 'blobs/' }), referencesAsOf })
  const planned: string[] = []
  for (const part of result.manifest.parts) for await (const batch of (await readPlan(join(cluster.shared, part.path))).batches()) planned.push(...batch.map(entry => entry.key))
  assert.deepEqual(planned, expected)
  assert.equal(result.manifest.store, single.header.store)
  assert.deepEqual(result.manifest.parts.map(part => part.counts.candidates).reduce((a, b) => a + b), 600)
})
