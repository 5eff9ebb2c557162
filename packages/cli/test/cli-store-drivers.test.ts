import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { readPlan } from '@keydiff/core'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import { runCli } from './run-cli.ts'

// The CLI as a user runs it: stores come from drivers loaded by `type`, a built-in name or a package.

const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))
let server: S3rverServer
let dir: string
before(async () => {
  server = await startS3rver()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-store-drivers-'))
})
after(async () => {
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

const KEYS = ['data/live.bin', 'data/orphan-1.bin', 'data/orphan-2.bin', 'other/x.bin']

function s3Config (type: string, bucket: string, action = ''): string {
  return `
[stores.bucket]
type = "${type}"
bucket = "${bucket}"
endpoint = "${server.endpoint}"
forcePathStyle = true
accessKeyId = "S3RVER"
secretAccessKey = "\${KEYDIFF_TEST_S3_SECRET}"

[[runs]]
name = "blobs"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
grace = "0s"
acknowledgeZeroGrace = true
${action}
`
}

async function planKeys (path: string): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of (await readPlan(path)).batches()) keys.push(...batch.map(entry => entry.key))
  return keys
}

interface Outcome { target: string, plan: { path: string, header: { store: string, counts: { planned: number } } }, applied: { done: number } | null }

async function run (workdir: string, text: string, args: string[] = []): Promise<{ code: number | null, stderr: string, outcome?: Outcome }> {
  await mkdir(workdir, { recursive: true })
  await writeFile(join(workdir, 'refs.txt'), 'data/live.bin\n')
  await writeFile(join(workdir, 'keydiff.toml'), text)
  const result = await runCli(['run', '--config', join(workdir, 'keydiff.toml'), '--json', '--quiet', ...args], { env: { KEYDIFF_TEST_S3_SECRET: 'S3RVER' } })
  return { code: result.code, stderr: result.stderr, ...(result.code === 0 ? { outcome: (JSON.parse(result.stdout) as Outcome[])[0] } : {}) }
}

test('type = "@keydiff/s3" loads the same driver as type = "s3": the same target, plan and deletions', async () => {
  const bucket = await server.createBucket(KEYS.map(key => ({ key })))
  const byName = await run(join(dir, 'by-name'), s3Config('s3', bucket), ['--dry-run'])
  const byPackage = await run(join(dir, 'by-package'), s3Config('@keydiff/s3', bucket), ['--dry-run'])
  assert.equal(byName.code, 0, byName.stderr)
  assert.equal(byPackage.code, 0, byPackage.stderr)
  assert.equal(byPackage.outcome?.target, `s3://${bucket}/data/`)
  assert.equal(byPackage.outcome?.target, byName.outcome?.target)
  assert.equal(byPackage.outcome?.plan.header.store, byName.outcome?.plan.header.store)
  assert.deepEqual(await planKeys(byPackage.outcome?.plan.path ?? ''), ['data/orphan-1.bin', 'data/orphan-2.bin'])
  assert.deepEqual(await planKeys(byPackage.outcome?.plan.path ?? ''), await planKeys(byName.outcome?.plan.path ?? ''))

  const deleted = await run(join(dir, 'by-package'), s3Config('@keydiff/s3', bucket, 'action = { type = "delete" }'))
  assert.equal(deleted.code, 0, deleted.stderr)
  assert.equal(deleted.outcome?.applied?.done, 2)
  assert.deepEqual(await server.listKeys(bucket), ['data/live.bin', 'other/x.bin'])
})

test('an unknown type, a package that is not installed, and a section its driver refuses are config errors naming the line', async () => {
  const bucket = await server.createBucket([])
  const cases: Array<[string, RegExp]> = [
    [s3Config('ftp', bucket), /keydiff\.toml:3: stores\.bucket\.type: "ftp" is no built-in store type \(directory, s3, minio, gcs, mongo\)/],
    [s3Config('@acme/keydiff-azure', bucket), /keydiff\.toml:3: stores\.bucket\.type: "@acme\/keydiff-azure" is no built-in store type .* no package of that name is installed/],
    [s3Config('s3', bucket).replace('forcePathStyle = true', 'forcePathStyle = "yes"'), /keydiff\.toml:6: stores\.bucket\.forcePathStyle: must be boolean/],
    [s3Config('@keydiff/s3', bucket).replace('bucket = "', 'bukket = "'), /keydiff\.toml:4: stores\.bucket\.bukket: unknown key/],
    [s3Config('s3', bucket, 'action = { type = "release-hold" }'), /runs\[0\]\.action\.type: "release-hold" is not an action of a s3 store \(delete, quarantine, tag\)/],
    [s3Config('s3', bucket, 'action = { type = "quarantine", directory = "x" }'), /runs\[0\]\.action\.directory: unknown key/]
  ]
  for (const [text, message] of cases) {
    const result = await run(join(dir, 'errors'), text)
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, message)
  }
})

test('keydiff apply and keydiff restore act on a plan bound to an S3 store, through its driver', async () => {
  const bucket = await server.createBucket(KEYS.map(key => ({ key })))
  const workdir = join(dir, 'apply-s3')
  const planned = await run(workdir, s3Config('s3', bucket), ['--dry-run'])
  assert.equal(planned.code, 0, planned.stderr)
  const plan = planned.outcome?.plan.path ?? ''
  const config = join(workdir, 'keydiff.toml')
  const env = { KEYDIFF_TEST_S3_SECRET: 'S3RVER' }

  const refused = await runCli(['apply', plan, '--action', 'release-hold', '--config', config], { env })
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /--action must be one of delete, quarantine, tag for a s3 store/)

  const applied = await runCli(['apply', plan, '--action', 'quarantine', '--config', config, '--json'], { env })
  assert.equal(applied.code, 0, applied.stderr)
  assert.equal((JSON.parse(applied.stdout) as { done: number }).done, 2)
  assert.deepEqual(await server.listKeys(bucket), ['.keydiff-trash/data/orphan-1.bin', '.keydiff-trash/data/orphan-2.bin', 'data/live.bin', 'other/x.bin'])

  const restored = await runCli(['restore', plan, '--config', config], { env })
  assert.equal(restored.code, 0, restored.stderr)
  assert.match(restored.stdout, new RegExp(`restored 2 of 2 planned keys .* from s3://${bucket}/\\.keydiff-trash/`))
  assert.deepEqual(await server.listKeys(bucket), KEYS)
})

test('a store package the CLI has never heard of loads by its name from the config\'s node_modules', async () => {
  const project = join(dir, 'third-party')
  await mkdir(join(project, 'node_modules'), { recursive: true })
  for (const name of ['keydiff-store-memory', 'keydiff-store-needs-sdk', 'keydiff-store-no-driver']) await symlink(join(FIXTURES, name), join(project, 'node_modules', name), 'dir')
  await writeFile(join(project, 'keys.json'), JSON.stringify(['b/orphan', 'a/live', 'c/orphan']))
  await writeFile(join(project, 'refs.txt'), 'a/live\n')
  await writeFile(join(project, 'keydiff.toml'), `
[stores.memory]
type = "keydiff-store-memory"
file = "keys.json"

[[runs]]
name = "memory"
candidates = { store = "memory" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`)
  const result = await runCli(['run', '--config', join(project, 'keydiff.toml'), '--json', '--quiet'])
  assert.equal(result.code, 0, result.stderr)
  const [outcome] = JSON.parse(result.stdout) as Outcome[]
  assert.equal(outcome?.target, 'memory://keys/')
  assert.equal(outcome?.applied?.done, 2)
  assert.deepEqual(JSON.parse(await readFile(join(project, 'keys.json'), 'utf8')), ['a/live'])

  await writeFile(join(project, 'keydiff.toml'), '[stores.memory]\ntype = "keydiff-store-memory"\nfile = 3\n\n[[runs]]\nname = "m"\ncandidates = { store = "memory" }\nreferences = [{ file = "refs.txt" }]\n')
  const refused = await runCli(['run', '--config', join(project, 'keydiff.toml'), '--dry-run'])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /keydiff\.toml:3: stores\.memory\.file: must be string/)

  // a package that cannot load names what to install; one that is no driver says so
  for (const [type, message] of [
    ['keydiff-store-needs-sdk', /keydiff\.toml:2: stores\.memory\.type: the store package keydiff-store-needs-sdk could not be loaded: it needs keydiff-test-absent-sdk \(npm install keydiff-test-absent-sdk\)/],
    ['keydiff-store-no-driver', /keydiff\.toml:2: stores\.memory\.type: the package keydiff-store-no-driver exports no store driver/]
  ] as const) {
    await writeFile(join(project, 'keydiff.toml'), `[stores.memory]\ntype = "${type}"\n\n[[runs]]\nname = "m"\ncandidates = { store = "memory" }\nreferences = [{ file = "refs.txt" }]\n`)
    const failed = await runCli(['run', '--config', join(project, 'keydiff.toml'), '--dry-run'])
    assert.equal(failed.code, 2, failed.stderr)
    assert.match(failed.stderr, message)
  }
})

test('database names of a mongo server are candidates as a [stores] section and as a [databases] section alike, dropped through the mongo driver', async () => {
  const { startTestServer } = await import('@keydiff/mongo/testing')
  const { ObjectId } = await import('mongodb')
  const mongo = await startTestServer()
  try {
    const client = await mongo.client()
    const old = ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 86400)
    for (const name of ['tenant_live', 'tenant_gone', 'other']) await client.db(name).collection('c').insertOne({ _id: old })
    const project = join(dir, 'mongo')
    await mkdir(project, { recursive: true })
    await writeFile(join(project, 'refs.txt'), 'tenant_live\n')
    const config = (candidates: string, action = ''): string => `
[stores.tenants]
type = "@keydiff/mongo"
url = "\${KEYDIFF_TEST_MONGO_URL}"
include = "^tenant_"

[databases.main]
type = "mongo"
url = "\${KEYDIFF_TEST_MONGO_URL}"

[[runs]]
name = "tenants"
candidates = ${candidates}
references = [{ file = "refs.txt" }]
includeUndated = true
${action}
`
    const env = { KEYDIFF_TEST_MONGO_URL: mongo.url }
    const plans: string[][] = []
    for (const candidates of ['{ store = "tenants" }', '{ database = "main", databases = { include = "^tenant_" } }']) {
      await writeFile(join(project, 'keydiff.toml'), config(candidates))
      const result = await runCli(['run', '--config', join(project, 'keydiff.toml'), '--dry-run', '--json', '--quiet'], { env })
      assert.equal(result.code, 0, result.stderr)
      plans.push(await planKeys((JSON.parse(result.stdout) as Outcome[])[0]?.plan.path ?? ''))
    }
    assert.deepEqual(plans, [['tenant_gone'], ['tenant_gone']])
    await writeFile(join(project, 'keydiff.toml'), config('{ store = "tenants" }', 'action = { type = "drop-database", idle = "1h" }'))
    const dropped = await runCli(['run', '--config', join(project, 'keydiff.toml'), '--json', '--quiet'], { env })
    assert.equal(dropped.code, 0, dropped.stderr)
    const names = (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(database => database.name)
    assert.ok(names.includes('tenant_live') && names.includes('other') && !names.includes('tenant_gone'), names.join(', '))
  } finally {
    await mongo.stop()
  }
})
