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

test('keydiff plan and keydiff apply on a pipe print their phases too; --quiet and --json keep stderr free of them', async () => {
  const store = join(dir, 'plain')
  await mkdir(store)
  const old = new Date(Date.now() - 7 * 86_400_000)
  for (let i = 0; i < 12; i++) {
    await writeFile(join(store, `g${i}.bin`), 'x')
    await utimes(join(store, `g${i}.bin`), old, old)
  }
  await writeFile(join(dir, 'plain-refs.txt'), Array.from({ length: 8 }, (_, i) => `g${i}.bin`).join('\n') + '\n')
  const out = join(dir, 'plain.plan.jsonl')
  const planned = await runSourceCli(['plan', '--store', store, '--references', join(dir, 'plain-refs.txt'), '--out', out])
  assert.equal(planned.code, 0, planned.stderr)
  const planLines = planned.stderr.split('\n').filter(Boolean)
  assert.deepEqual(planLines.map(line => line.split(' · ')[0]), ['references', 'listing', 'diff', 'plan'], planned.stderr)
  assert.match(planLines[0] ?? '', /^references · 8 keys · /)
  assert.match(planLines[1] ?? '', /^listing · 12 keys · .*orphans 4/)
  assert.match(planLines[3] ?? '', /^plan · 4 keys planned · /)

  const quiet = await runSourceCli(['plan', '--store', store, '--references', join(dir, 'plain-refs.txt'), '--out', join(dir, 'quiet.plan.jsonl'), '--quiet'])
  assert.equal(quiet.code, 0, quiet.stderr)
  assert.equal(quiet.stderr, '')

  const applied = await runSourceCli(['apply', out, '--action', 'delete'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stderr, /^apply \(delete\) · 4 keys · .*done in/m)
  assert.deepEqual((await readdir(store)).filter(name => name.endsWith('.bin')).sort(), Array.from({ length: 8 }, (_, i) => `g${i}.bin`).sort())
})
