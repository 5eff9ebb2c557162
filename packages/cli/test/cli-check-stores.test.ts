import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { startGcsServer, type GcsTestServer } from '@keydiff/gcs/testing'
import { startS3rver, type S3rverServer } from '@keydiff/s3/testing'
import mysql from 'mysql2/promise'
import { runSourceCli } from './run-source-cli.ts'

interface Result { run: string, target: string, check: string, ok: boolean, reason?: string }

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const table = `keydiff_check_${process.pid}_${Date.now()}`
const user = `kd_noread_${process.pid}`
let dir: string
let my: mysql.Connection
let s3: S3rverServer
let client: S3Client
let gcs: GcsTestServer

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-check-stores-'))
  await mkdir(join(dir, 'store', 'data'), { recursive: true })
  await writeFile(join(dir, 'store', 'data', 'a.bin'), 'a')
  await writeFile(join(dir, 'refs.txt'), 'data/a.bin\n')
  my = await mysql.createConnection(MYSQL_URL)
  await my.query(`CREATE TABLE ${table} (path VARCHAR(255) PRIMARY KEY)`)
  await my.query(`INSERT INTO ${table} VALUES ('data/a.bin')`)
  s3 = await startS3rver()
  client = s3.client()
  gcs = await startGcsServer()
})

after(async () => {
  await gcs.close()
  await s3.stop()
  await my.query(`DROP TABLE IF EXISTS ${table}`)
  await my.query(`DROP USER IF EXISTS '${user}'@'%'`)
  await my.end()
  await rm(dir, { recursive: true, force: true })
})

async function check (name: string, config: string): Promise<{ code: number | null, stdout: string, stderr: string, results: Result[] }> {
  const file = join(dir, `${name}.toml`)
  await writeFile(file, config)
  const result = await runSourceCli(['check', '--config', file, '--json'])
  return { ...result, results: result.stdout === '' ? [] : JSON.parse(result.stdout) as Result[] }
}

const summary = (results: Result[]): string[] => results.map(result => `${result.check}:${result.ok ? 'ok' : 'fails'}`)

test('keydiff check: a MySQL reference reads for a user with SELECT, and fails naming the denied command for a user without it', async () => {
  await my.query(`CREATE USER '${user}'@'%'`)
  const config = (url: string): string => `[stores.local]
type = "directory"
path = "store"

[databases.legacy]
type = "mysql"
url = "${url}"

[[runs]]
name = "legacy"
candidates = { store = "local" }
references = [{ database = "legacy", table = "${table}", column = "path" }]
`
  const ok = await check('mysql-ok', config(MYSQL_URL))
  assert.equal(ok.code, 0, ok.stderr + ok.stdout)
  assert.ok(ok.results.some(r => r.check === 'read' && r.ok), JSON.stringify(ok.results))

  const denied = await check('mysql-noread', config(MYSQL_URL.replace(/\/\/[^@/]*@/, `//${user}@`)))
  assert.equal(denied.code, 1, denied.stderr)
  const failed = denied.results.filter(r => !r.ok)
  assert.ok(failed.length >= 1, JSON.stringify(denied.results))
  assert.match(failed.map(r => r.reason ?? '').join('\n'), /denied/i)
  assert.ok(denied.results.some(r => r.check === 'list' && r.ok), 'the store still lists')
})

test('keydiff check: a MinIO store passes against a bucket that exists (probe and lock removed), and fails against one that does not', async () => {
  await client.send(new CreateBucketCommand({ Bucket: 'minio-present' }))
  await client.send(new PutObjectCommand({ Bucket: 'minio-present', Key: 'data/a.bin', Body: 'a' }))
  const port = new URL(s3.endpoint).port
  const config = (bucket: string): string => `[stores.bucket]
type = "minio"
bucket = "${bucket}"
endPoint = "127.0.0.1"
port = ${port}
useSSL = false
accessKey = "S3RVER"
secretKey = "S3RVER"
maxAttempts = 1

[[runs]]
name = "minio"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`
  const ok = await check('minio-ok', config('minio-present'))
  assert.equal(ok.code, 0, ok.stderr + ok.stdout)
  assert.ok(summary(ok.results).includes('list:ok') && summary(ok.results).includes('delete:ok'), JSON.stringify(ok.results))
  const left = await client.send(new ListObjectsV2Command({ Bucket: 'minio-present' }))
  assert.deepEqual((left.Contents ?? []).map(object => object.Key), ['data/a.bin'], 'the probe is removed')

  const missing = await check('minio-missing', config('minio-absent'))
  assert.equal(missing.code, 1, missing.stderr)
  const failed = missing.results.filter(r => !r.ok).map(r => r.check)
  assert.ok(failed.includes('list') && failed.includes('delete'), JSON.stringify(missing.results))
  assert.match(missing.results.find(r => r.check === 'list')?.reason ?? '', /minio-absent|NoSuchBucket|bucket/i)
})

test('keydiff check: a GCS store passes, and a service account that may not delete fails the delete check with the 403, while the listing still works', async () => {
  gcs.store.createBucket('gcs-present')
  gcs.store.put('gcs-present', 'data/a.bin', Buffer.from('a'))
  const config = `[stores.bucket]
type = "gcs"
bucket = "gcs-present"
projectId = "keydiff"
apiEndpoint = "${gcs.endpoint}"
maxAttempts = 1

[[runs]]
name = "gcs"
candidates = { store = "bucket", prefix = "data/" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`
  const ok = await check('gcs-ok', config)
  assert.equal(ok.code, 0, ok.stderr + ok.stdout)
  assert.ok(summary(ok.results).includes('list:ok') && summary(ok.results).includes('delete:ok'), JSON.stringify(ok.results))

  gcs.fault = request => request.operation === 'objects.delete' ? { status: 403, reason: 'forbidden' } : undefined
  try {
    const denied = await check('gcs-nodelete', config)
    assert.equal(denied.code, 1, denied.stderr)
    const failed = denied.results.filter(r => !r.ok)
    assert.ok(failed.some(r => r.check === 'delete'), JSON.stringify(denied.results))
    assert.match(failed.find(r => r.check === 'delete')?.reason ?? '', /\(HTTP 403\)/)
    assert.ok(denied.results.some(r => r.check === 'list' && r.ok), 'the listing does not need the delete permission')
  } finally {
    gcs.fault = undefined
  }
})
