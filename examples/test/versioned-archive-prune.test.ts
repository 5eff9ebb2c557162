import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import pg from 'pg'
import { main } from '../src/versioned-archive-prune.ts'

const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const schema = `keydiff_example_${randomBytes(4).toString('hex')}`
const table = `${schema}.current_versions`
let pool: pg.Pool
let archive: string
const quiet = (): void => {}
const week = 7 * 24 * 3600_000

async function put (key: string, bytes: number, ageMs = week): Promise<void> {
  const path = join(archive, key)
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, Buffer.alloc(bytes))
  const when = new Date(Date.now() - ageMs)
  await utimes(path, when, when)
}

before(async () => {
  pool = new pg.Pool({ connectionString: PGURL, max: 4 })
  try {
    await pool.query(`CREATE SCHEMA ${schema}`)
  } catch (error) {
    await pool.end()
    throw new Error(`PostgreSQL is not reachable at ${PGURL}: ${(error as Error).message}. Start it, or set PGURL to a server the tests may create schemas on.`, { cause: error })
  }
  archive = await mkdtemp(join(tmpdir(), 'keydiff-example-archive-'))
  await pool.query(`CREATE TABLE ${table} (collection text, object text, version text, PRIMARY KEY (collection, object))`)
  // maps: 10 objects × v1..v3 of 100 bytes, v3 current → 20 candidates, 2,000 bytes.
  for (let i = 0; i < 10; i++) {
    for (const version of ['v1', 'v2', 'v3']) await put(`maps/m${i}/${version}`, 100)
    await pool.query(`INSERT INTO ${table} VALUES ('maps', $1, 'v3')`, [`m${i}`])
  }
  // photos: 5 objects × v1..v2 of 1,000 bytes, v2 current, plus a protected manifest → 5 candidates, 5,000 bytes.
  for (let i = 0; i < 5; i++) {
    for (const version of ['v1', 'v2']) await put(`photos/p${i}/${version}`, 1000)
    await put(`photos/p${i}/_manifest.json`, 10)
    await pool.query(`INSERT INTO ${table} VALUES ('photos', $1, 'v2')`, [`p${i}`])
  }
  // scans: one object whose old version was just rewritten (too young) and one with only its current version.
  await put('scans/s0/v1', 50, 0)
  await put('scans/s0/v2', 50)
  await put('scans/s1/v1', 50)
  await pool.query(`INSERT INTO ${table} VALUES ('scans', 's0', 'v2'), ('scans', 's1', 'v1')`)
})
after(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)
  await pool.end()
  await rm(archive, { recursive: true, force: true })
})

test('job 3: the preview totals the prune candidates per collection and prunes nothing', async () => {
  const lines: string[] = []
  const preview = await main({ pool, archive, table, schema, log: line => lines.push(line) })
  assert.equal(preview.applied, undefined)
  assert.deepEqual(preview.summary.prefixes, [
    { prefix: 'maps/', count: 20, bytes: 2000 },
    { prefix: 'photos/', count: 5, bytes: 5000 }
  ])
  assert.equal(preview.summary.header.counts.planned, 25)
  assert.equal(preview.summary.header.counts.protected, 5)
  assert.equal(preview.summary.header.counts.tooYoung, 1)
  assert.match(lines.join('\n'), /maps\/\s+20\s+1\.95 KiB/)
  assert.ok(existsSync(join(archive, 'maps/m0/v1')) && existsSync(join(archive, 'photos/p0/v1')), 'a preview prunes nothing')
})

test('job 3: an unconfirmed prune changes nothing', async () => {
  const result = await main({ pool, archive, table, schema, dryRun: false, log: quiet, confirm: () => false })
  assert.equal(result.applied, undefined)
  assert.equal(result.tombstones, 0)
  assert.ok(existsSync(join(archive, 'maps/m0/v1')))
})

test('job 3: the prune removes old versions only, keeps one made current meanwhile, and records tombstones', async () => {
  const runId = 'test-run-1'
  // Made current again between the scan and the action: the re-check keeps it.
  const result = await main({
    pool,
    archive,
    table,
    schema,
    runId,
    dryRun: false,
    log: quiet,
    confirm: async summary => {
      assert.equal(summary.header.counts.planned, 25)
      await pool.query(`UPDATE ${table} SET version = 'v1' WHERE collection = 'maps' AND object = 'm9'`)
      return true
    }
  })
  assert.equal(result.applied?.done, 24)
  assert.equal(result.applied?.dropped, 1)
  assert.equal(result.applied?.failed, 0)
  for (let i = 0; i < 10; i++) assert.ok(existsSync(join(archive, `maps/m${i}/v3`)), 'current versions stay')
  assert.ok(existsSync(join(archive, 'maps/m9/v1')), 'the version made current again stays')
  assert.ok(!existsSync(join(archive, 'maps/m0/v1')) && !existsSync(join(archive, 'maps/m0/v2')))
  assert.ok(!existsSync(join(archive, 'photos/p4/v1')) && existsSync(join(archive, 'photos/p4/_manifest.json')))
  assert.ok(existsSync(join(archive, 'scans/s0/v1')), 'a file written after the fence stays')

  const { rows } = await pool.query(`SELECT key, size::int AS size, action, outcome FROM ${schema}.keydiff_tombstones WHERE run_id = $1 ORDER BY key`, [runId])
  assert.equal(rows.length, 24)
  assert.ok(rows.every(row => row.action === 'delete' && row.outcome === 'ok'))
  assert.deepEqual(rows.find(row => row.key === 'photos/p0/v1'), { key: 'photos/p0/v1', size: 1000, action: 'delete', outcome: 'ok' })
  assert.equal(rows.reduce((sum, row) => sum + (row.size as number), 0), 1900 + 5000)
})
