import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { readPlan } from '@keydiff/core'
import { MAY_RESOLVE_ELSEWHERE } from '@keydiff/core/adapter'
import { QueueWorkers } from './queue-workers.ts'
import { runSourceCli } from './run-source-cli.ts'

// A Redis database of its own, flushed before and after.
const QUEUE = 'cli-range-index'
const workers = new QueueWorkers(12, QUEUE)
const REDIS_URL = workers.url
const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'

const schema = `keydiff_range_index_${randomBytes(4).toString('hex')}`
const env = { PGURL }
let dir: string
let shared: string
let config: string
let pool: pg.Pool
/** The unreferenced objects: what one process plans. */
let unreferenced: string[]

// The message a run without the indexes gives: the range's index and the partial one for what may resolve elsewhere.
const RANGE_INDEX = `CREATE INDEX CONCURRENTLY ON "${schema}"."refs" (("path" COLLATE "C"))`
const PATTERN_INDEX = `CREATE INDEX CONCURRENTLY ON "${schema}"."refs" ("path") WHERE "path" COLLATE "C" ~ '${MAY_RESOLVE_ELSEWHERE}'`

before(async () => {
  await workers.flush()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-range-index-'))
  shared = join(dir, 'shared')
  pool = new pg.Pool({ connectionString: PGURL, max: 2 })
  // 200 old objects under blobs/, one in eight of them referenced by no row
  const root = join(dir, 'store')
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  const keys: string[] = []
  for (let i = 0; i < 200; i++) {
    const hash = createHash('sha1').update(String(i)).digest('hex')
    const key = `blobs/${hash.slice(0, 2)}/${hash.slice(2)}`
    keys.push(key)
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), hash)
    await utimes(join(root, key), old, old)
  }
  unreferenced = keys.filter((_, i) => i % 8 === 0).sort()
  const referenced = keys.filter((_, i) => i % 8 !== 0)
  // 20,125 rows (each reference 115 times), analysed: enough rows that the planner's choice for a shard is stable;
  // an index under the database's collation, which does not serve a range in "C"
  await inSessionOfItsOwn([
    `CREATE SCHEMA ${schema}`,
    `CREATE TABLE ${schema}.refs (path text)`,
    { text: `INSERT INTO ${schema}.refs SELECT unnest($1::text[]) FROM generate_series(1, 115)`, values: [referenced] },
    `CREATE INDEX refs_path ON ${schema}.refs (path)`,
    `VACUUM ANALYZE ${schema}.refs`
  ])
  config = join(dir, 'keydiff.toml')
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${root}"

[databases.main]
type = "postgres"
url = "\${PGURL}"

[[runs]]
name = "pg"
candidates = { store = "local" }
references = [{ database = "main", table = "${schema}.refs", column = "path" }]
action = { type = "delete" }
`)
  await workers.start(shared, env)
})

after(async () => {
  await workers.stop()
  await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(async () => { await pool.end() })
  await rm(dir, { recursive: true, force: true })
})

/**
 * Runs statements in a session that ends before this returns: building an index scans the
 * table, and a session reports its scans to the statistics when it ends (an idle one only
 * seconds later), so the tests' counts of the shards' scans must not include them.
 */
async function inSessionOfItsOwn (statements: ReadonlyArray<string | { text: string, values: unknown[] }>): Promise<void> {
  const client = new pg.Client({ connectionString: PGURL })
  await client.connect()
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')
  try {
    for (const statement of statements) await client.query(statement)
  } finally {
    await client.end()
  }
  for (let waited = 0; waited < 10_000; waited += 100) {
    const left = await pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [rows[0]?.pid])
    if (left.rowCount === 0) break
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

/** `keydiff run --queue` of the config in 8 shards, as a dry run. */
async function runQueued (...flags: string[]): Promise<{ code: number | null, stdout: string, stderr: string }> {
  return await runSourceCli(['run', '--config', config, '--dry-run', '--json', '--queue', REDIS_URL, '--queue-name', QUEUE, '--shared', shared, '--shards', '8', '--split-prefix', 'blobs/', ...flags], { env })
}

/** The keys of a distributed plan's parts, in order. */
async function plannedKeys (stdout: string): Promise<string[]> {
  const [outcome] = JSON.parse(stdout) as Array<{ manifest: string, parts: number }>
  assert.equal(outcome?.parts, 8)
  const manifest = JSON.parse(await readFile(outcome?.manifest as string, 'utf8')) as { parts: Array<{ path: string }> }
  const keys: string[] = []
  for (const part of manifest.parts) {
    for await (const batch of (await readPlan(join(shared, part.path))).batches()) keys.push(...batch.map(entry => entry.key))
  }
  return keys
}

/** Sequential and index scans of the table so far, by PostgreSQL's statistics. */
async function tableScans (): Promise<{ seq: number, idx: number }> {
  const { rows } = await pool.query<{ seq: string, idx: string }>('SELECT seq_scan AS seq, coalesce(idx_scan, 0) AS idx FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = \'refs\'', [schema])
  return { seq: Number(rows[0]?.seq), idx: Number(rows[0]?.idx) }
}

/** The scans since `before`, once the sessions that made them have reported (statistics are sent when a session ends). */
async function scansSince (before: { seq: number, idx: number }, until: (scans: { seq: number, idx: number }) => boolean): Promise<{ seq: number, idx: number }> {
  for (let waited = 0; ; waited += 250) {
    const now = await tableScans()
    const since = { seq: now.seq - before.seq, idx: now.idx - before.idx }
    if (until(since) || waited > 15_000) return since
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

test('the plan is one process\'s', { timeout: 60_000 }, async () => {
  const one = await runSourceCli(['run', '--config', config, '--dry-run', '--quiet'], { env })
  assert.equal(one.code, 0, one.stderr)
  const workdir = join(dir, '.keydiff', 'pg')
  const planFile = (await readdir(workdir)).find(file => file.startsWith('plan-') && file.endsWith('.jsonl')) as string
  const keys: string[] = []
  for await (const batch of (await readPlan(join(workdir, planFile))).batches()) keys.push(...batch.map(entry => entry.key))
  assert.deepEqual(keys, unreferenced)
})

test('--require-range-index: a table no index serves the shards\' ranges in is refused before any shard starts, naming the indexes to create', { timeout: 60_000 }, async () => {
  const refused = await runQueued('--require-range-index')
  assert.equal(refused.code, 1, refused.stderr)
  assert.match(refused.stderr, /\(KEYDIFF_PLAN_REFUSED\)/)
  assert.ok(refused.stderr.includes(`reference main:${schema}.refs.path`), refused.stderr)
  assert.ok(refused.stderr.includes(`scanning ${schema}.refs whole`), refused.stderr)
  assert.ok(refused.stderr.includes(RANGE_INDEX), refused.stderr)
  assert.ok(refused.stderr.includes(PATTERN_INDEX), refused.stderr)
  // the worker's own keys only (meta, stalled-check): no job was added
  assert.deepEqual((await workers.redis('KEYS', `bull:${QUEUE}:*`)).split('\n').filter(key => key !== '' && !/:(meta|stalled-check)$/.test(key)), [])

  const conflicting = await runQueued('--require-range-index', '--scatter-references')
  assert.equal(conflicting.code, 2, conflicting.stderr)
})

test('without the indexes the run falls back to reading the references once into per-shard files (said in one line), and plans what one process plans', { timeout: 120_000 }, async () => {
  const before = await tableScans()
  const fallen = await runQueued()
  assert.equal(fallen.code, 0, fallen.stderr)
  const said = fallen.stderr.split('\n').filter(line => line.includes('per-shard files'))
  assert.equal(said.length, 1, fallen.stderr)
  assert.ok(said[0]?.includes(`run "pg": every shard would read reference main:${schema}.refs.path by scanning ${schema}.refs whole`), said[0])
  assert.ok(said[0]?.includes(RANGE_INDEX), said[0])
  assert.deepEqual(await plannedKeys(fallen.stdout), unreferenced)
  // the scatter job read the table once; eight shards reading by range would each have scanned it
  const scans = await scansSince(before, since => since.seq >= 1)
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.deepEqual(await scansSince(before, () => true), { ...scans, seq: 1 })
})

test('with the indexes it names, the shards read their ranges through them, as before', { timeout: 120_000 }, async () => {
  await inSessionOfItsOwn([RANGE_INDEX, PATTERN_INDEX, `ANALYZE ${schema}.refs`])
  const before = await tableScans()
  const ranged = await runQueued('--require-range-index')
  assert.equal(ranged.code, 0, ranged.stderr)
  assert.doesNotMatch(ranged.stderr, /per-shard files|scanning/)
  assert.deepEqual(await plannedKeys(ranged.stdout), unreferenced)
  const scans = await scansSince(before, since => since.idx >= 8)
  assert.equal(scans.seq, 0, 'no shard scanned the table')
  assert.ok(scans.idx >= 8, `every shard read through the indexes: ${JSON.stringify(scans)}`)
})
