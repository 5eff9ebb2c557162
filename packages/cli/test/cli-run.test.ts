import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { runCli } from './run-cli.ts'

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const schema = `keydiff_cli_${process.pid}_${Date.now()}`
let pool: pg.Pool
let my: mysql.Connection
let dir: string
const old = new Date(Date.now() - 7 * 86_400_000)

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-run-'))
  pool = new pg.Pool({ connectionString: PGURL, max: 2 })
  try {
    await pool.query(`CREATE SCHEMA ${schema}`)
  } catch (error) {
    throw new Error(`PostgreSQL at ${PGURL} is not reachable (${(error as Error).message}); set PGURL`)
  }
  await pool.query(`CREATE TABLE ${schema}.files (path text PRIMARY KEY)`)
  try {
    my = await mysql.createConnection(MYSQL_URL)
  } catch (error) {
    throw new Error(`MySQL at ${MYSQL_URL} is not reachable (${(error as Error).message}); set MYSQL_URL`)
  }
  await my.query(`CREATE DATABASE ${schema}`)
  await my.query(`CREATE TABLE ${schema}.files (path varchar(255) PRIMARY KEY)`)
})

after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await my.query(`DROP DATABASE IF EXISTS ${schema}`)
  await my.end()
  await rm(dir, { recursive: true, force: true })
})

async function store (name: string, files: Record<string, Date>): Promise<string> {
  const root = join(dir, name)
  for (const [key, mtime] of Object.entries(files)) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, key)
    await utimes(path, mtime, mtime)
  }
  return root
}

async function listFiles (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !entry.parentPath.includes('.keydiff')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

function config (root: string, extra = ''): string {
  return `
[stores.local]
type = "directory"
path = "${root}"

[databases.main]
type = "postgres"
url = "\${KEYDIFF_TEST_PGURL}"

[databases.legacy]
type = "mysql"
url = "${MYSQL_URL}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [
  { database = "main", table = "${schema}.files", column = "path" },
  { database = "legacy", table = "${schema}.files", column = "path" },
  { file = "extra-refs.txt" },
]
protect = ["**/*.lock"]
action = { type = "delete" }
${extra}`
}

test('keydiff run: --dry-run plans and changes nothing; a real run deletes exactly the orphans; --report writes HTML', async () => {
  const root = await store('store-a', {
    'a/live-db.bin': old,
    'a/live-file.bin': old,
    'a/live-mysql.bin': old,
    'a/orphan-1.bin': old,
    'b/orphan-2.bin': old,
    'b/young-orphan.bin': new Date(),
    'b/keep.lock': old
  })
  await pool.query(`INSERT INTO ${schema}.files VALUES ('a/live-db.bin'), ('gone/missing.bin')`)
  await my.query(`INSERT INTO ${schema}.files VALUES ('a/live-mysql.bin')`)
  await writeFile(join(dir, 'extra-refs.txt'), 'a/live-file.bin\n')
  const file = join(dir, 'keydiff.toml')
  await writeFile(file, config(root))
  const env = { KEYDIFF_TEST_PGURL: PGURL }
  const before = await listFiles(root)

  const dry = await runCli(['run', '--config', file, '--dry-run'], { env })
  assert.equal(dry.code, 0, dry.stderr)
  assert.match(dry.stdout, /dry run: nothing was changed/)
  assert.deepEqual(await listFiles(root), before)

  const report = join(dir, 'report.html')
  const real = await runCli(['run', '--config', file, '--report', report, '--json'], { env })
  assert.equal(real.code, 0, real.stderr)
  const outcome = JSON.parse(real.stdout) as Array<{ plan: { header: { counts: { planned: number, tooYoung: number, protected: number } } }, applied: { done: number, failed: number } }>
  assert.equal(outcome[0]?.plan.header.counts.planned, 2)
  assert.equal(outcome[0]?.plan.header.counts.tooYoung, 1)
  assert.equal(outcome[0]?.plan.header.counts.protected, 1)
  assert.equal(outcome[0]?.applied.done, 2)
  assert.deepEqual(await listFiles(root), ['a/live-db.bin', 'a/live-file.bin', 'a/live-mysql.bin', 'b/keep.lock', 'b/young-orphan.bin'])
  const html = await readFile(report, 'utf8')
  assert.match(html, /<svg/)
  assert.match(html, /keydiff · blobs: 2 deleted/, 'the report says what the run did')
})

test('keydiff run: config errors exit 2, each problem on a line naming the file, line and key path', async () => {
  const root = await store('store-b', { 'x.bin': old })
  const cases: Array<[string, RegExp]> = [
    [config(root).replace('path = "', 'pathh = "'), /stores\.local\.pathh: unknown key/],
    [config(root).replace('candidates = { store = "local" }', 'candidates = { store = "nas" }'), /runs\[0\]\.candidates\.store: no store named "nas"/],
    [config(root).replace('type = "directory"', 'type = "ftp"'), /stores\.local\.type: "ftp" is no built-in store type \(directory, s3, minio, gcs, mongo\)/]
  ]
  for (const [text, message] of cases) {
    const file = join(dir, 'bad.toml')
    await writeFile(file, text)
    const result = await runCli(['run', '--config', file], { env: { KEYDIFF_TEST_PGURL: PGURL } })
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, message)
    assert.match(result.stderr, /bad\.toml:\d+/)
    const lines = result.stderr.trim().split('\n')
    assert.ok(lines.length === 1 || /: \d+ problems$/.test(lines[0] ?? ''), `one problem, or a count of them first: ${result.stderr}`)
    for (const line of lines.slice(lines.length === 1 ? 0 : 1)) assert.match(line, /bad\.toml:\d+: /)
  }
  const missing = await runCli(['run', '--config', join(dir, 'nope.toml')])
  assert.equal(missing.code, 2)
  assert.match(missing.stderr, /nope\.toml/)
})

test('keydiff run: a reference database that cannot be reached fails the run and deletes nothing', async () => {
  const root = await store('store-c', { 'o.bin': old })
  const file = join(dir, 'down.toml')
  await writeFile(file, config(root))
  const result = await runCli(['run', '--config', file], { env: { KEYDIFF_TEST_PGURL: 'postgres://postgres@127.0.0.1:1/test' } })
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stderr, /127\.0\.0\.1:1/)
  assert.deepEqual(await listFiles(root), ['o.bin'])
})
