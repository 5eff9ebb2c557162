import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { after, before, test } from 'node:test'
import { readPlan, type KeySource } from '@keydiff/core'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { ConfigError } from '../src/config/config-error.ts'
import { describeRun, loadConfig, openRun, type RunDescription } from '../src/index.ts'
import { runMain } from './run-cli.ts'

let server: S3rverServer
let dir: string
let bucket: string
const env = { KEYDIFF_DESC_KEY: 'S3RVER', KEYDIFF_DESC_SECRET: 'S3RVER' }

before(async () => {
  server = await startS3rver()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-run-description-'))
  bucket = await server.createBucket(['data/live.bin', 'data/orphan-1.bin', 'data/orphan-2.bin', 'other/x.bin'].map(key => ({ key })))
  await mkdir(join(dir, 'files', 'data'), { recursive: true })
  for (const key of ['data/live.bin', 'data/orphan-3.bin']) await writeFile(join(dir, 'files', key), 'x')
  await writeFile(join(dir, 'refs.txt'), 'data/live.bin\n')
  await writeFile(join(dir, 'keydiff.toml'), `
[stores.bucket]
type = "@keydiff/s3"
bucket = "${bucket}"
endpoint = "${server.endpoint}"
forcePathStyle = true
accessKeyId = "\${KEYDIFF_DESC_KEY}"
secretAccessKey = "\${KEYDIFF_DESC_SECRET}"

[stores.local]
type = "directory"
path = "files"

[[runs]]
name = "blobs"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
grace = "0s"
acknowledgeZeroGrace = true
referencesAsOf = ${new Date().toISOString()}
action = { type = "quarantine", prefix = "trash/" }

[[runs]]
name = "files"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
grace = "0s"
acknowledgeZeroGrace = true
`)
})
after(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

async function keysOf (batches: AsyncIterable<ReadonlyArray<{ key: string }>>): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of batches) keys.push(...batch.map(entry => entry.key))
  return keys
}

/** The plan's keys of `keydiff run --dry-run --only <run>`, as the command makes it from the file. */
async function plannedByCommand (run: string): Promise<string[]> {
  const result = await runMain(['run', '--config', join(dir, 'keydiff.toml'), '--only', run, '--dry-run', '--json'])
  assert.equal(result.code, 0, result.stderr)
  const [outcome] = JSON.parse(result.stdout) as Array<{ plan: { path: string } }>
  return await keysOf((await readPlan(outcome?.plan.path ?? '')).batches())
}

const quiet = { stream: new PassThrough().resume(), mode: 'off' } as const

for (const name of ['blobs', 'files']) {
  test(`the description of run "${name}" round-trips through JSON and opens, in a fresh environment, to the same plan`, async () => {
    Object.assign(process.env, env)
    const config = await loadConfig(join(dir, 'keydiff.toml'))
    for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key)
    const description = describeRun(config, name)
    const json = JSON.stringify(description)
    assert.deepEqual(JSON.parse(json), description, 'plain JSON')
    assert.ok(!json.includes('S3RVER'), 'no secret resolved')
    assert.deepEqual(Object.keys(description.config.stores ?? {}), [name === 'blobs' ? 'bucket' : 'local'], 'only the sections the run needs')

    const opened = await openRun(JSON.parse(json) as RunDescription, { ...env })
    try {
      assert.deepEqual(describeRun(opened.config, name), description, 'an opened run describes itself the same')
      const outcome = await opened.execute({ dryRun: true, force: false, progress: quiet })
      const keys = await keysOf((await readPlan(outcome.plan.path)).batches())
      assert.deepEqual(keys, name === 'blobs' ? ['data/orphan-1.bin', 'data/orphan-2.bin'] : ['data/orphan-3.bin'])
      Object.assign(process.env, env)
      assert.deepEqual(keys, await plannedByCommand(name))
    } finally {
      for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key)
      await opened.close()
    }
  })
}

test('an opened run lists one key range of its store, for a shard', async () => {
  Object.assign(process.env, env)
  const description = describeRun(await loadConfig(join(dir, 'keydiff.toml')), 'blobs')
  for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key)
  const opened = await openRun(description, { ...env })
  try {
    const shard = await opened.target({ range: { after: 'data/live.bin', upTo: 'data/orphan-1.bin' } })
    assert.equal(shard.store, `s3://${bucket}/data/`)
    assert.equal(shard.trash, `s3://${bucket}/trash/`)
    assert.deepEqual(await keysOf(shard.candidates as KeySource), ['data/orphan-1.bin'])
  } finally {
    await opened.close()
  }
})

test('a description opened where its secrets are not set names them; a thing that is no description is refused', async () => {
  Object.assign(process.env, env)
  const description = describeRun(await loadConfig(join(dir, 'keydiff.toml')), 'blobs')
  for (const key of Object.keys(env)) Reflect.deleteProperty(process.env, key)
  await assert.rejects(openRun(description, {}), (error: unknown) => {
    assert.ok(error instanceof ConfigError)
    assert.deepEqual(error.problems.map(problem => [problem.keyPath, problem.message]), [
      ['stores.bucket.accessKeyId', 'environment variable KEYDIFF_DESC_KEY is not set'],
      ['stores.bucket.secretAccessKey', 'environment variable KEYDIFF_DESC_SECRET is not set']
    ])
    return true
  })
  await assert.rejects(openRun({ run: 'blobs' } as unknown as RunDescription), { code: 'KEYDIFF_CONFIG_INVALID' })
  assert.throws(() => describeRun({ runs: [] }, 'blobs'), TypeError)
})
