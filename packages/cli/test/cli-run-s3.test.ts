import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, GetObjectTaggingCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { runCli } from './run-cli.ts'

let server: S3rverServer
let client: S3Client
let dir: string
before(async () => {
  server = await startS3rver()
  client = server.client()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-run-s3-'))
})
after(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

test('keydiff run against an S3 store: references from a file, orphans tagged for a lifecycle rule', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'blobs' }))
  const keys = ['data/live one.bin', 'data/orphan+1.bin', 'data/orphan é.bin', 'data/keep.lock', 'other/x.bin']
  for (const key of keys) await client.send(new PutObjectCommand({ Bucket: 'blobs', Key: key, Body: 'x' }))
  await writeFile(join(dir, 'refs.txt'), 'data/live one.bin\n')
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, `
[stores.bucket]
type = "s3"
bucket = "blobs"
endpoint = "${server.endpoint}"
forcePathStyle = true
accessKeyId = "S3RVER"
secretAccessKey = "\${KEYDIFF_TEST_S3_SECRET}"

[[runs]]
name = "tag-orphans"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
grace = "0s"
acknowledgeZeroGrace = true
protect = ["**/*.lock"]
action = { type = "tag" }
`)
  const result = await runCli(['run', '--config', file, '--json'], { env: { KEYDIFF_TEST_S3_SECRET: 'S3RVER' } })
  assert.equal(result.code, 0, result.stderr)
  const [outcome] = JSON.parse(result.stdout) as Array<{ target: string, applied: { done: number, action: string } }>
  assert.equal(outcome?.target, 's3://blobs/data/')
  assert.equal(outcome?.applied.done, 2)
  const tagged = async (key: string): Promise<boolean> => {
    const tags = await client.send(new GetObjectTaggingCommand({ Bucket: 'blobs', Key: key }))
    return (tags.TagSet ?? []).some(tag => tag.Key === 'keydiff')
  }
  assert.deepEqual(await Promise.all(keys.map(tagged)), [false, true, true, false, false])
  const listed = await client.send(new ListObjectsV2Command({ Bucket: 'blobs' }))
  assert.equal(listed.KeyCount, keys.length + 0, 'tagging deletes nothing')
})
