import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { runSourceCli } from './run-source-cli.ts'

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = `keydiff_ctx_${process.pid}_${Date.now()}`
const dropped = `${schema}_dropped`
let pool: pg.Pool
let dir: string

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-context-'))
  await mkdir(join(dir, 'store'))
  const old = new Date(Date.now() - 7 * 86_400_000)
  await writeFile(join(dir, 'store', 'a.bin'), 'a')
  await utimes(join(dir, 'store', 'a.bin'), old, old)
  pool = new pg.Pool({ connectionString: PGURL, max: 1 })
  try {
    await pool.query(`CREATE SCHEMA ${schema}`)
  } catch (error) {
    throw new Error(`PostgreSQL at ${PGURL} is not reachable (${(error as Error).message}); set PGURL`)
  }
  await pool.query(`CREATE TABLE ${schema}.files (path text PRIMARY KEY)`)
  // a database that existed when the config was written, and was dropped since
  await pool.query(`CREATE DATABASE ${dropped}`)
  await pool.query(`DROP DATABASE ${dropped}`)
})

after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await rm(dir, { recursive: true, force: true })
})

const droppedUrl = (): string => {
  const url = new URL(PGURL)
  url.pathname = `/${dropped}`
  return url.href
}

async function run (name: string): Promise<{ code: number | null, stderr: string }> {
  await writeFile(join(dir, 'keydiff.toml'), `[stores.local]
type = "directory"
path = "store"

[databases.main]
type = "postgres"
url = "${PGURL}"

[databases.gone]
type = "postgres"
url = "${droppedUrl()}"
connectTimeout = "5s"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [
  { database = "main", table = "${schema}.files", column = "pth" },
]

[[runs]]
name = "archive"
candidates = { store = "local" }
references = [{ database = "gone", table = "${schema}.files", column = "path" }]
`)
  return await runSourceCli(['run', '--config', join(dir, 'keydiff.toml'), '--only', name, '--dry-run'])
}

test('a column typo names the run, the reference\'s key and its line, and keeps the code', async () => {
  const result = await run('blobs')
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stderr, /^\[keydiff\] run "blobs", runs\[0\]\.references\[0\]\.table \(.*\/keydiff\.toml:18\): .*column "pth" does not exist \(42703\) \(KEYDIFF_INVALID_OPTION\)\n$/)
})

test('a dropped database names the run and the database\'s key and line, as a connection failure', async () => {
  const result = await run('archive')
  assert.equal(result.code, 1, result.stderr)
  assert.match(result.stderr, new RegExp(`^\\[keydiff\\] run "archive", databases\\.gone \\(.*\\/keydiff\\.toml:9\\): \\[postgres\\] .*database "${dropped}" does not exist.*\\(KEYDIFF_CONNECTION_FAILED\\)\\n$`))
})
