import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { resolveReference } from '@keydiff/core'
import pg from 'pg'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-strip-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

let stores = 0
/** A directory store of old files, a references file, and a config deleting what they do not name. */
async function setUp (references: string[], reference: string): Promise<{ root: string, file: string }> {
  const root = join(dir, `store-${++stores}`)
  await mkdir(root)
  const old = new Date(Date.now() - 30 * 86_400_000)
  for (const key of ['a.bin', 'b.bin', 'orphan.bin']) {
    await writeFile(join(root, key), key)
    await utimes(join(root, key), old, old)
  }
  await writeFile(join(root, '..', `urls-${stores}.txt`), references.join('\n') + '\n')
  const file = join(dir, `keydiff-${stores}.toml`)
  await writeFile(file, `[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "cdn"
candidates = { store = "local" }
references = [
  { file = "urls-${stores}.txt"${reference} },
]
maxOrphanShare = 1
action = { type = "delete" }
`)
  return { root, file }
}

const left = async (root: string): Promise<string[]> => (await readdir(root)).filter(name => name !== '.keydiff').sort()

test('stripPrefix turns the URLs of a file reference into store keys: only the unreferenced object is deleted', async () => {
  const { root, file } = await setUp(['https://cdn.example.com/a.bin', 'https://cdn.example.com/b.bin'], ', stripPrefix = "https://cdn.example.com/"')
  const result = await cli(['run', '--config', file])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await left(root), ['a.bin', 'b.bin'])
})

test('a key without the prefix fails the run by default, naming the run, the reference, its line and the key; nothing is deleted', async () => {
  const { root, file } = await setUp(['https://cdn.example.com/a.bin', 'b.bin'], ', stripPrefix = "https://cdn.example.com/"')
  const result = await cli(['run', '--config', file])
  assert.equal(result.code, 1)
  assert.match(result.stderr, /run "cdn", runs\[0\]\.references\[0\] \(.*keydiff-\d+\.toml:9\): file:.*urls-\d+\.txt: key "b\.bin" does not start with "https:\/\/cdn\.example\.com\/".*\(KEYDIFF_PREFIX_MISMATCH\)/)
  assert.deepEqual(await left(root), ['a.bin', 'b.bin', 'orphan.bin'])
})

test('onMismatch = "drop" skips such a key (its object is then unreferenced); "keep" takes it as written', async () => {
  const dropped = await setUp(['https://cdn.example.com/a.bin', 'b.bin'], ', stripPrefix = "https://cdn.example.com/", onMismatch = "drop"')
  assert.equal((await cli(['run', '--config', dropped.file])).code, 0)
  assert.deepEqual(await left(dropped.root), ['a.bin'])
  const kept = await setUp(['https://cdn.example.com/a.bin', 'b.bin'], ', stripPrefix = "https://cdn.example.com/", onMismatch = "keep"')
  assert.equal((await cli(['run', '--config', kept.file])).code, 0)
  assert.deepEqual(await left(kept.root), ['a.bin', 'b.bin'])
})

test('URIs of the run\'s own store need no stripPrefix: they resolve against its location', () => {
  assert.deepEqual(resolveReference('s3://bucket/images/a.png', 's3://bucket/'), { kind: 'key', key: 'images/a.png' })
  assert.deepEqual(resolveReference('s3a://bucket/images/a.png', 's3://bucket/images/'), { kind: 'key', key: 'images/a.png' })
  assert.equal(resolveReference('https://cdn.example.com/images/a.png', 's3://bucket/').kind, 'foreign')
})

test('a PostgreSQL column of CDN URLs, stripped: the live objects are kept and the orphan deleted, with a re-check', async () => {
  const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
  const schema = `keydiff_strip_${process.pid}_${Date.now()}`
  const pool = new pg.Pool({ connectionString: PGURL, max: 1 })
  try {
    await pool.query(`CREATE SCHEMA ${schema}`)
    await pool.query(`CREATE TABLE ${schema}.images (url text PRIMARY KEY)`)
    await pool.query(`INSERT INTO ${schema}.images VALUES ('https://cdn.example.com/a.bin'), ('https://cdn.example.com/b.bin')`)
    const { root, file } = await setUp([], '')
    await writeFile(file, `[stores.local]
type = "directory"
path = "${root}"

[databases.main]
type = "postgres"
url = "${PGURL}"

[[runs]]
name = "cdn"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.images", column = "url", stripPrefix = "https://cdn.example.com/" }]
maxOrphanShare = 1
action = { type = "delete" }
`)
    const result = await cli(['run', '--config', file, '--json'])
    assert.equal(result.code, 0, result.stderr)
    const [outcome] = JSON.parse(result.stdout) as Array<{ applied: { done: number, dropped: number }, withoutRecheck: string[] }>
    assert.equal(outcome?.applied.done, 1)
    assert.deepEqual(outcome?.withoutRecheck, [])
    assert.deepEqual(await left(root), ['a.bin', 'b.bin'])
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
    await pool.end()
  }
})
