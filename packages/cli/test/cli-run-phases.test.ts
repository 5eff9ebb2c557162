import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { runSourceCli } from './run-source-cli.ts'

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = `keydiff_phases_${process.pid}_${Date.now()}`
let pool: pg.Pool
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-phases-'))
  await mkdir(join(dir, 'store'))
  const old = new Date(Date.now() - 7 * 86_400_000)
  for (let i = 0; i < 40; i++) {
    const path = join(dir, 'store', `f${String(i).padStart(2, '0')}.bin`)
    await writeFile(path, 'x')
    await utimes(path, old, old)
  }
  pool = new pg.Pool({ connectionString: PGURL, max: 1 })
  await pool.query(`CREATE SCHEMA ${schema}`)
  await pool.query(`CREATE TABLE ${schema}.files (path text PRIMARY KEY)`)
  // 30 of the 40 are referenced: 10 orphans
  for (let i = 0; i < 30; i++) await pool.query(`INSERT INTO ${schema}.files VALUES ($1)`, [`f${String(i).padStart(2, '0')}.bin`])
})

after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await rm(dir, { recursive: true, force: true })
})

test('keydiff run on a pipe prints one line per phase: references, listing, diff, plan, then re-check beside apply', async () => {
  await writeFile(join(dir, 'keydiff.toml'), `[stores.local]
type = "directory"
path = "store"

[databases.main]
type = "postgres"
url = "${PGURL}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.files", column = "path" }]
action = { type = "delete" }
`)
  const result = await runSourceCli(['run', '--config', join(dir, 'keydiff.toml')])
  assert.equal(result.code, 0, result.stderr)
  const lines = result.stderr.split('\n').filter(line => line.startsWith('blobs: '))
  assert.deepEqual(lines.map(line => line.split(' · ')[0]), ['blobs: references', 'blobs: listing', 'blobs: diff', 'blobs: plan', 'blobs: re-check', 'blobs: apply (delete)'], result.stderr)
  assert.match(lines[0] ?? '', /^blobs: references · 30 keys · .*done in/)
  assert.match(lines[1] ?? '', /^blobs: listing · 40 keys · .*orphans 10 · done in/)
  assert.match(lines[2] ?? '', /^blobs: diff · 10 orphans · .*done in/)
  assert.match(lines[3] ?? '', /^blobs: plan · 10 keys planned · .*done in/)
  assert.match(lines[4] ?? '', /^blobs: re-check · 10 keys looked up · .*done in/)
  assert.match(lines[5] ?? '', /^blobs: apply \(delete\) · 10 keys · .*done in/)
  assert.doesNotMatch(result.stderr, /[\r\x1b]/, 'plain lines on a pipe')
  assert.equal((await readdir(join(dir, 'store'))).filter(name => name.endsWith('.bin')).length, 30)
})
