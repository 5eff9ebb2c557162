import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { runSourceCli } from './run-source-cli.ts'

// A statement that runs past the database's statementTimeout is cancelled by the server and
// fails the run, for MySQL/MariaDB as for PostgreSQL: a hung scan never holds a run forever.
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'

let dir = ''
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-statement-timeout-'))
  await mkdir(join(dir, 'store'))
})
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

const config = (type: string, url: string, query: string): string => `
[stores.local]
type = "directory"
path = "${join(dir, 'store')}"

[databases.db]
type = "${type}"
url = "${url}"
statementTimeout = "1s"

[[runs]]
name = "slow"
candidates = { store = "local" }
references = [{ database = "db", query = "${query}" }]
`

for (const [type, url, query] of [
  ['mysql', MYSQL_URL, 'SELECT CAST(SLEEP(20) AS CHAR) AS k'],
  ['postgres', PGURL, 'SELECT pg_sleep(20)::text AS k']
] as const) {
  test(`keydiff run: a ${type} statement past statementTimeout is cancelled and fails the run (exit 1, one line)`, async () => {
    const file = join(dir, `${type}.toml`)
    await writeFile(file, config(type, url, query))
    const started = performance.now()
    const result = await runSourceCli(['run', '--config', file, '--quiet'])
    assert.equal(result.code, 1, result.stderr)
    assert.match(result.stderr, /KEYDIFF_SOURCE_FAILED|KEYDIFF_CONNECTION_FAILED/)
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr)
    assert.ok(performance.now() - started < 15_000, `cancelled by the server, not after the 20 s sleep (${Math.round(performance.now() - started)} ms)`)
  })
}
