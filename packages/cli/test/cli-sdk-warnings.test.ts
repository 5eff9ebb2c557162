import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { runSourceCli } from './run-source-cli.ts'

let server: S3rverServer
let client: S3Client
let dir: string
before(async () => {
  server = await startS3rver()
  client = server.client()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-sdk-warnings-'))
  await client.send(new CreateBucketCommand({ Bucket: 'quiet' }))
  for (const key of ['data/live.bin', 'data/orphan.bin']) await client.send(new PutObjectCommand({ Bucket: 'quiet', Key: key, Body: 'x' }))
  await writeFile(join(dir, 'refs.txt'), 'data/live.bin\n')
})
after(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

async function config (): Promise<string> {
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, `
[stores.bucket]
type = "s3"
bucket = "quiet"
endpoint = "${server.endpoint}"
forcePathStyle = true
accessKeyId = "S3RVER"
secretAccessKey = "S3RVER"

[[runs]]
name = "quiet"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
grace = "0s"
acknowledgeZeroGrace = true
`)
  return file
}

// the child's environment as a user's shell has it: without the SDK's opt-out set by hand
function userEnv (): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED
  delete env.NODE_NO_WARNINGS
  return env
}

test('keydiff run against S3 on Node 20 prints no NodeVersionSupportWarning', async () => {
  const child = await runSourceCli(['run', '--config', await config(), '--dry-run', '--quiet'], { nodeWarnings: true, env: userEnv() })
  assert.equal(child.code, 0, child.stderr)
  assert.doesNotMatch(child.stderr, /NodeVersionSupportWarning|AWS SDK for JavaScript/)
  assert.equal(child.stderr, '')
})

test('other process warnings still reach stderr', async () => {
  // the same run, with a warning of someone else's emitted by a module the child preloads
  const preload = join(dir, 'warn.mjs')
  await writeFile(preload, "process.emitWarning('an unrelated warning', 'KeydiffTestWarning')\n")
  const child = await runSourceCli(['run', '--config', await config(), '--dry-run', '--quiet'], {
    nodeWarnings: true,
    env: { ...userEnv(), NODE_OPTIONS: `--import ${preload}` }
  })
  assert.equal(child.code, 0, child.stderr)
  assert.match(child.stderr, /KeydiffTestWarning: an unrelated warning/)
  assert.doesNotMatch(child.stderr, /NodeVersionSupportWarning/)
})
