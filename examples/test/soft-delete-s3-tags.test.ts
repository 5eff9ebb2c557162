import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, GetObjectTaggingCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { main, undo } from '../src/soft-delete-s3-tags.ts'

let server: S3rverServer
let client: S3Client
let work: string
before(async () => {
  server = await startS3rver()
  client = server.client()
  work = await mkdtemp(join(tmpdir(), 'keydiff-example-s3-tags-'))
})
after(async () => {
  await server.stop()
  await rm(work, { recursive: true, force: true })
})

async function tagged (key: string): Promise<boolean> {
  const tags = await client.send(new GetObjectTaggingCommand({ Bucket: 'archive', Key: key }))
  return (tags.TagSet ?? []).some(tag => tag.Key === 'keydiff' && tag.Value === 'orphan')
}

test('job 4 on S3: orphans are tagged for the lifecycle rule, live objects are not; undo removes the tags', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'archive' }))
  const keys = ['v1/live.bin', 'v1/orphan-a.bin', 'v2/live.bin', 'v2/orphan-b.bin']
  for (const key of keys) await client.send(new PutObjectCommand({ Bucket: 'archive', Key: key, Body: 'x'.repeat(10) }))
  const references = join(work, 'refs.txt')
  await writeFile(references, 'v1/live.bin\nv2/live.bin\n')
  const lines: string[] = []
  const result = await main({ client, bucket: 'archive', references, days: 7, grace: 0, acknowledgeZeroGrace: true, work, log: line => lines.push(line) })
  assert.equal(result.summary.header.counts.planned, 2)
  assert.equal(result.applied.done, 2)
  assert.match(lines.join('\n'), /"Days": 7/)
  assert.deepEqual(await Promise.all(keys.map(tagged)), [false, true, false, true])
  const undone = await undo({ client, bucket: 'archive', plan: result.plan })
  assert.equal(undone.done, 2)
  assert.deepEqual(await Promise.all(keys.map(tagged)), [false, false, false, false])
})
