import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import pg from 'pg'
import { runSourceCli } from './run-source-cli.ts'

interface Result { run: string, target: string, check: string, ok: boolean, reason?: string }

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = `keydiff_check_${process.pid}_${Date.now()}`
let dir: string
let pool: pg.Pool
let server: S3rverServer
let client: S3Client

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-check-'))
  await mkdir(join(dir, 'store', 'data'), { recursive: true })
  await writeFile(join(dir, 'store', 'data', 'a.bin'), 'a')
  await writeFile(join(dir, 'refs.txt'), 'data/a.bin\n')
  pool = new pg.Pool({ connectionString: PGURL, max: 1 })
  await pool.query(`CREATE SCHEMA ${schema}`)
  await pool.query(`CREATE TABLE ${schema}.files (path text PRIMARY KEY)`)
  await pool.query(`INSERT INTO ${schema}.files VALUES ('data/a.bin')`)
  server = await startS3rver()
  client = server.client()
})

after(async () => {
  await server.stop()
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await rm(dir, { recursive: true, force: true })
})

async function check (name: string, config: string, args: string[] = ['--json']): Promise<{ code: number | null, stdout: string, stderr: string, results: Result[] }> {
  const file = join(dir, `${name}.toml`)
  await writeFile(file, config)
  const result = await runSourceCli(['check', '--config', file, ...args])
  const results = args.includes('--json') && result.stdout !== '' ? JSON.parse(result.stdout) as Result[] : []
  return { ...result, results }
}

const summary = (results: Result[]): string[] => results.map(result => `${result.check}:${result.ok ? 'ok' : 'fails'}`)

test('keydiff check: a directory store with file references passes every check and leaves the store as it was', async () => {
  const config = `[stores.local]
type = "directory"
path = "store"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`
  const result = await check('dir-ok', config)
  assert.equal(result.code, 0, result.stderr + result.stdout)
  assert.deepEqual(summary(result.results), ['open:ok', 'list:ok', 'open:ok', 'read:ok', 'delete:ok', 'lock:ok'])
  assert.equal(result.results[1]?.target, `dir:${join(dir, 'store')}`)
  // the probe and the lock are gone, and the .keydiff/ made for them too
  assert.deepEqual((await readdir(join(dir, 'store'))).sort(), ['data'])

  const plain = await check('dir-ok', config, [])
  assert.equal(plain.code, 0, plain.stderr)
  assert.match(plain.stdout, /^RUN\s+TARGET\s+CHECK\s+RESULT\s+REASON$/m)
  assert.match(plain.stdout, /^blobs\s+dir:\S+\s+delete\s+ok$/m)
  assert.match(plain.stdout, /all 6 checks passed/)
})

test('keydiff check: a directory store where nothing can be written fails the action and the lock, naming them', async () => {
  // `.keydiff` a regular file: even root cannot create the probe or the lock under it
  await mkdir(join(dir, 'blocked'))
  await writeFile(join(dir, 'blocked', 'x.bin'), 'x')
  await writeFile(join(dir, 'blocked', '.keydiff'), 'not a directory')
  const result = await check('dir-blocked', `[stores.local]
type = "directory"
path = "blocked"

[[runs]]
name = "blocked"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
action = { type = "quarantine", directory = "trash" }
`)
  assert.equal(result.code, 1, result.stderr)
  assert.deepEqual(summary(result.results), ['open:ok', 'list:ok', 'open:ok', 'read:ok', 'quarantine:fails', 'lock:fails'])
  assert.match(result.results[4]?.reason ?? '', /ENOTDIR|not a directory/i)

  const plain = await check('dir-blocked', (await import('node:fs')).readFileSync(join(dir, 'dir-blocked.toml'), 'utf8'), [])
  assert.equal(plain.code, 1)
  assert.match(plain.stdout, /^blocked\s+dir:\S+\s+quarantine\s+fails\s+\S/m)
  assert.match(plain.stdout, /2 of 6 checks failed/)
})

test('keydiff check: a PostgreSQL reference to a table that does not exist fails, the one that exists reads', async () => {
  const result = await check('pg', `[stores.local]
type = "directory"
path = "store"

[databases.main]
type = "postgres"
url = "${PGURL}"

[[runs]]
name = "live"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.files", column = "path" }]

[[runs]]
name = "typo"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.filez", column = "path" }]
`)
  assert.equal(result.code, 1, result.stderr)
  const live = result.results.filter(r => r.run === 'live')
  const typo = result.results.filter(r => r.run === 'typo')
  assert.ok(live.every(r => r.ok), JSON.stringify(live))
  assert.ok(live.some(r => r.check === 'read' && r.target === 'main:files.path'), JSON.stringify(live))
  const failed = typo.filter(r => !r.ok)
  assert.equal(failed.length, 1, JSON.stringify(typo))
  assert.match(failed[0]?.reason ?? '', new RegExp(`${schema}\\.filez|filez`))
})

test('keydiff check: an S3 run passes against a bucket that exists, and fails against one that does not', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'present' }))
  await client.send(new PutObjectCommand({ Bucket: 'present', Key: 'data/a.bin', Body: 'a' }))
  const config = (bucket: string): string => `[stores.bucket]
type = "s3"
bucket = "${bucket}"
endpoint = "${server.endpoint}"
forcePathStyle = true
accessKeyId = "S3RVER"
secretAccessKey = "S3RVER"
maxAttempts = 1

[[runs]]
name = "s3"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
action = { type = "tag" }
`
  const ok = await check('s3-ok', config('present'))
  assert.equal(ok.code, 0, ok.stderr + ok.stdout)
  assert.deepEqual(summary(ok.results), ['open:ok', 'list:ok', 'open:ok', 'read:ok', 'tag:ok', 'lock:ok'])
  const left = await client.send(new ListObjectsV2Command({ Bucket: 'present' }))
  assert.deepEqual((left.Contents ?? []).map(object => object.Key), ['data/a.bin'], 'the probe and the lock are removed')

  const missing = await check('s3-missing', config('absent'))
  assert.equal(missing.code, 1, missing.stderr)
  const failed = missing.results.filter(r => !r.ok).map(r => r.check)
  assert.ok(failed.includes('list') && failed.includes('tag'), JSON.stringify(missing.results))
  assert.match(missing.results.find(r => r.check === 'list')?.reason ?? '', /absent|NoSuchBucket|bucket/i)
})

test('keydiff check: a PostgreSQL user that may not read the references table fails the read, naming the permission', async () => {
  const role = `${schema}_noread`
  await pool.query(`CREATE ROLE ${role} LOGIN`)
  try {
    await pool.query(`GRANT USAGE ON SCHEMA ${schema} TO ${role}`)
    const url = PGURL.replace(/\/\/[^@/]*@/, `//${role}@`)
    const result = await check('pg-noread', `[stores.local]
type = "directory"
path = "store"

[databases.main]
type = "postgres"
url = "${url}"

[[runs]]
name = "noread"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.files", column = "path" }]
`)
    assert.equal(result.code, 1, result.stderr)
    const failed = result.results.filter(r => !r.ok)
    assert.equal(failed.length, 1, JSON.stringify(result.results))
    assert.match(failed[0]?.reason ?? '', /permission denied/)
    assert.ok(result.results.some(r => r.check === 'list' && r.ok), 'the store still lists')
  } finally {
    await pool.query(`REVOKE ALL ON SCHEMA ${schema} FROM ${role}`)
    await pool.query(`DROP ROLE ${role}`)
  }
})
