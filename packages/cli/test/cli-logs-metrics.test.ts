import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { runSourceCli } from './run-source-cli.ts'

// Trust auth on the local server ignores the password: it is there to be kept out of logs and metrics.
const PASSWORD = 'secretpw'
const PGURL = `postgres://postgres:${PASSWORD}@127.0.0.1:5432/test`
const schema = `keydiff_logs_${process.pid}_${Date.now()}`
const OLD = new Date(Date.now() - 200 * 3_600_000)
// key → content: two orphans of 5 and 7 bytes
const FILES: Record<string, string> = { 'a/live-db.bin': 'db', 'a/live-file.bin': 'file', 'a/orphan.bin': 'orphan', 'b/orphan-2.bin': 'orphan2' }

let dir = ''
let pool: pg.Pool
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-logs-metrics-'))
  pool = new pg.Pool({ connectionString: PGURL, max: 1 })
  await pool.query(`CREATE SCHEMA ${schema}`)
  await pool.query(`CREATE TABLE ${schema}.files (path text PRIMARY KEY)`)
  await pool.query(`INSERT INTO ${schema}.files VALUES ('a/live-db.bin')`)
})
after(async () => {
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool?.end()
  if (dir !== '') await rm(dir, { recursive: true, force: true })
})

function config (root: string, table: string): string {
  return `
[stores.local]
type = "directory"
path = "${root}"

[databases.main]
type = "postgres"
url = "${PGURL}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [
  { database = "main", table = "${table}", column = "path" },
  { file = "${join(dir, 'refs.txt')}" },
]
action = { type = "delete" }
`
}

interface LogLine { level: string, time: string, msg: string, run?: string, [field: string]: unknown }

/** Standard error as JSON lines: every line must parse and carry a level, an ISO time and a message. */
function logLines (stderr: string): LogLine[] {
  assert.ok(stderr.endsWith('\n'), `stderr ends with a newline: ${JSON.stringify(stderr)}`)
  return stderr.slice(0, -1).split('\n').map(line => {
    const parsed = JSON.parse(line) as LogLine
    assert.equal(typeof parsed.level, 'string', line)
    assert.ok(!Number.isNaN(Date.parse(parsed.time)) && /^\d{4}-\d\d-\d\dT/.test(parsed.time), line)
    assert.equal(typeof parsed.msg, 'string', line)
    return parsed
  })
}

/**
 * Prometheus' text format read strictly (prom-client has no parser, and none is installed):
 * every line a `# HELP`, a `# TYPE` or a sample of a declared metric; samples by `name{labels}`.
 */
function promSamples (text: string): Map<string, number> {
  const samples = new Map<string, number>()
  const typed = new Set<string>()
  assert.ok(text.endsWith('\n'))
  for (const line of text.split('\n').slice(0, -1)) {
    if (line === '') continue
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|histogram|summary|untyped)$/.exec(line)
    if (type !== null) { typed.add(type[1] as string); continue }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* \S.*$/.test(line)) continue
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$/.exec(line)
    assert.ok(sample !== null, `not a Prometheus text line: ${JSON.stringify(line)}`)
    const [, name, labels, value] = sample as unknown as [string, string, string | undefined, string]
    assert.ok(typed.has(name), `${name} has no # TYPE before its sample`)
    const number = Number(value)
    assert.ok(!Number.isNaN(number) || value === 'NaN', line)
    assert.ok(!samples.has(`${name}${labels ?? ''}`), `duplicate sample ${line}`)
    samples.set(`${name}${labels ?? ''}`, number)
  }
  return samples
}

async function keys (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !entry.parentPath.includes('.keydiff')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

test('keydiff run --log-format json --metrics: JSON lines per run and phase, the figures in Prometheus text, then a failed run counted as such; no password in either', async () => {
  const root = join(dir, 'store')
  for (const [key, content] of Object.entries(FILES)) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
    await utimes(path, OLD, OLD)
  }
  await writeFile(join(dir, 'refs.txt'), 'a/live-file.bin\n')
  const file = join(dir, 'keydiff.toml')
  const metrics = join(dir, 'keydiff.prom')
  await writeFile(file, config(root, `${schema}.files`))

  const before = Date.now() / 1000
  const ok = await runSourceCli(['run', '--config', file, '--log-format', 'json', '--metrics', metrics])
  const after = Date.now() / 1000
  assert.equal(ok.code, 0, ok.stderr)
  assert.deepEqual(await keys(root), ['a/live-db.bin', 'a/live-file.bin'])
  const lines = logLines(ok.stderr)
  for (const line of lines) assert.equal(line.run, 'blobs', JSON.stringify(line))
  assert.deepEqual(lines.map(line => [line.msg, line.phase]), [['run start', undefined], ['phase end', 'plan'], ['phase end', 'apply'], ['run end', undefined]])
  const [, planned, applied, end] = lines as [LogLine, LogLine, LogLine, LogLine]
  assert.deepEqual({ candidates: planned.candidates, orphans: planned.orphans, planned: planned.planned, bytesPlanned: planned.bytesPlanned }, { candidates: 4, orphans: 2, planned: 2, bytesPlanned: 13 })
  assert.deepEqual({ action: applied.action, done: applied.done, bytesDone: applied.bytesDone, failed: applied.failed, dropped: applied.dropped }, { action: 'delete', done: 2, bytesDone: 13, failed: 0, dropped: 0 })
  for (const line of [planned, applied]) assert.ok(typeof line.ms === 'number' && line.ms >= 0)
  assert.equal(end.level, 'info')
  assert.equal(end.target, `dir:${root}`)

  const text = await readFile(metrics, 'utf8')
  const samples = promSamples(text)
  const at = (name: string): number | undefined => samples.get(`keydiff_run_${name}{run="blobs"}`)
  assert.deepEqual(
    { orphans: at('orphans_found'), planned: at('planned_keys'), bytes: at('planned_bytes'), acted: at('acted_keys'), actedBytes: at('acted_bytes'), failed: at('failed_keys'), dropped: at('dropped_keys'), success: at('success') },
    { orphans: 2, planned: 2, bytes: 13, acted: 2, actedBytes: 13, failed: 0, dropped: 0, success: 1 }
  )
  const lastSuccess = at('last_success_timestamp_seconds') ?? 0
  assert.ok(lastSuccess >= before && lastSuccess <= after, `last success ${lastSuccess} within [${before}, ${after}]`)
  assert.ok((at('duration_seconds') ?? -1) > 0 && (at('duration_seconds') ?? 0) < after - before)
  assert.equal(at('last_failure_timestamp_seconds'), undefined)
  assert.deepEqual((await readdir(dir)).filter(name => name.endsWith('.tmp')), [], 'no temporary file left')

  // a column that does not exist: the run fails; the log and the metrics say so, and the last success stays
  await writeFile(file, config(root, `${schema}.missing`))
  const failed = await runSourceCli(['run', '--config', file, '--log-format', 'json', '--metrics', metrics])
  assert.equal(failed.code, 1, failed.stderr)
  const failedLines = logLines(failed.stderr)
  for (const line of failedLines) assert.equal(line.run, 'blobs', JSON.stringify(line))
  const last = failedLines.at(-1) as LogLine
  assert.deepEqual([last.level, last.msg], ['error', 'run failed'])
  assert.match(String(last.error), /missing/)
  const after2 = Date.now() / 1000
  const failedSamples = promSamples(await readFile(metrics, 'utf8'))
  const now = (name: string): number | undefined => failedSamples.get(`keydiff_run_${name}{run="blobs"}`)
  assert.equal(now('success'), 0)
  assert.equal(now('last_success_timestamp_seconds'), lastSuccess, 'the last success is carried over')
  const lastFailure = now('last_failure_timestamp_seconds') ?? 0
  assert.ok(lastFailure >= after && lastFailure <= after2)
  assert.equal(now('orphans_found'), undefined, 'a run that failed before planning has no figures')

  for (const output of [ok.stdout, ok.stderr, text, failed.stdout, failed.stderr, await readFile(metrics, 'utf8')]) {
    assert.ok(!output.includes(PASSWORD), `a password shows in ${output}`)
  }
})

test('keydiff run --log-format with an unknown format is a usage error (exit 2)', async () => {
  const result = await runSourceCli(['run', '--config', join(dir, 'none.toml'), '--log-format', 'yaml'])
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, /--log-format must be text or json, not "yaml"/)
})

test('keydiff plan and apply --log-format json: one JSON line each with the phase, its counts and duration', async () => {
  const root = join(dir, 'plan-store')
  for (const [key, content] of Object.entries(FILES)) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, content)
    await utimes(path, OLD, OLD)
  }
  const refs = join(dir, 'plan-refs.txt')
  await writeFile(refs, 'a/live-db.bin\na/live-file.bin\n')
  const planPath = join(dir, 'plan.jsonl')
  const planned = await runSourceCli(['plan', '--store', root, '--references', refs, '--out', planPath, '--log-format', 'json', '--quiet'])
  assert.equal(planned.code, 0, planned.stderr)
  const [planLine, ...morePlan] = logLines(planned.stderr)
  assert.deepEqual(morePlan, [])
  assert.deepEqual([planLine?.level, planLine?.msg, planLine?.command, planLine?.phase, planLine?.orphans, planLine?.planned, planLine?.bytesPlanned, planLine?.plan], ['info', 'phase end', 'plan', 'plan', 2, 2, 13, planPath])

  const applied = await runSourceCli(['apply', planPath, '--action', 'delete', '--log-format', 'json'])
  assert.equal(applied.code, 0, applied.stderr)
  const [applyLine, ...moreApply] = logLines(applied.stderr)
  assert.deepEqual(moreApply, [])
  assert.deepEqual([applyLine?.level, applyLine?.command, applyLine?.phase, applyLine?.action, applyLine?.done, applyLine?.bytesDone, applyLine?.failed], ['info', 'apply', 'apply', 'delete', 2, 13, 0])
  assert.ok(typeof applyLine?.ms === 'number')
  assert.deepEqual(await keys(root), ['a/live-db.bin', 'a/live-file.bin'])

  // a plan acted on a second time from another store: the refusal is one JSON error line, not text
  const refused = await runSourceCli(['apply', planPath, '--action', 'delete', '--store', join(dir, 'store'), '--log-format', 'json'])
  assert.notEqual(refused.code, 0)
  assert.ok(refused.stderr.length > 0)
  for (const line of logLines(refused.stderr)) assert.equal(line.level, 'error')
})
