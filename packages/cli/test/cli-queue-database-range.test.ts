import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { MongoClient } from 'mongodb'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { readPlan } from '@keydiff/core'
import { MAY_RESOLVE_ELSEWHERE } from '@keydiff/core/adapter'
import { QueueWorkers } from './queue-workers.ts'
import { runSourceCli } from './run-source-cli.ts'

// A Redis database of its own, flushed before and after.
const workers = new QueueWorkers(9, 'cli-pg-range')
const REDIS_URL = workers.url
const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

let dir: string
// the PostgreSQL schema, the MariaDB database and the MongoDB database of the file's tests
const schema = `keydiff_range_${randomBytes(4).toString('hex')}`
let mongo: { url: string, stop: () => Promise<void> }
let env: NodeJS.ProcessEnv

before(async () => {
  await workers.flush()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-db-range-'))
  const { startTestServer } = await import('@keydiff/mongo/testing')
  mongo = await startTestServer()
  env = { PGURL, MYSQL_URL, KD_MONGO_URL: mongo.url }
  const shared = join(dir, 'shared')
  await Promise.all([workers.start(shared, env), workers.start(shared, env)])
})

after(async () => {
  await workers.stop()
  const pool = new pg.Pool({ connectionString: PGURL })
  await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).finally(async () => { await pool.end() })
  const my = await mysql.createConnection(MYSQL_URL)
  await my.query(`DROP DATABASE IF EXISTS ${schema}`).finally(async () => { await my.end() })
  await mongo?.stop()
  await rm(dir, { recursive: true, force: true })
})

interface TableReads { seqScans: number, indexScans: number, indexRowsRead: number }

/** What PostgreSQL's statistics say was read of the table, once the sessions that read it have reported. */
async function tableReads (pool: pg.Pool): Promise<TableReads> {
  const { rows } = await pool.query<{ seq: string, idx: string, read: string }>(`
    SELECT t.seq_scan AS seq, coalesce(t.idx_scan, 0) AS idx, (SELECT coalesce(sum(i.idx_tup_read), 0) FROM pg_stat_user_indexes i WHERE i.relid = t.relid) AS read
    FROM pg_stat_user_tables t WHERE t.schemaname = $1 AND t.relname = 'refs'`, [schema])
  const row = rows[0] as { seq: string, idx: string, read: string }
  return { seqScans: Number(row.seq), indexScans: Number(row.idx), indexRowsRead: Number(row.read) }
}

async function settledReads (pool: pg.Pool, until: (reads: TableReads) => boolean): Promise<TableReads> {
  for (let waited = 0; ; waited += 250) {
    const reads = await tableReads(pool)
    if (until(reads) || waited > 15_000) return reads
    await new Promise(resolve => setTimeout(resolve, 250))
  }
}

interface BlobStore {
  root: string
  referenced: string[]
  unreferenced: string[]
  /** Two unreferenced keys of the last shards, referenced as an absolute path and a percent escape. */
  spelledOtherwise: [string, string]
  /** Those references, which sort before `blobs/`: outside the range of the shard that lists their objects. */
  odd: string[]
}

let store: BlobStore | undefined

/** 400 old objects under `blobs/`, made once for the file's tests. */
async function blobStore (): Promise<BlobStore> {
  if (store !== undefined) return store
  const root = join(dir, 'store')
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  const keys: string[] = []
  for (let i = 0; i < 400; i++) {
    const hash = createHash('sha1').update(String(i)).digest('hex')
    const key = `blobs/${hash.slice(0, 2)}/${hash.slice(2)}`
    keys.push(key)
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), hash)
    await utimes(join(root, key), old, old)
  }
  const unreferenced = keys.filter((_, i) => i % 8 === 0).sort()
  const [byPath, byEscape] = unreferenced.slice(-2) as [string, string]
  store = { root, referenced: keys.filter((_, i) => i % 8 !== 0), unreferenced, spelledOtherwise: [byPath, byEscape], odd: [join(root, byPath), byEscape.replaceAll('/', '%2F')] }
  return store
}

/** The keys of a plan, or of a distributed plan's parts in order. */
async function plannedKeys (path: string, parts?: Array<{ path: string }>): Promise<string[]> {
  const keys: string[] = []
  for (const file of parts === undefined ? [path] : parts.map(part => join(path, part.path))) {
    for await (const batch of (await readPlan(file)).batches()) keys.push(...batch.map(entry => entry.key))
  }
  return keys
}

/**
 * The config's run, planned by the two workers in 4 shards and then by one process: the
 * distributed plan and the single one. `between` runs once the distributed plan is written.
 */
async function bothPlans (config: string, name: string, between: () => Promise<void> = async () => {}): Promise<{ single: string[], distributed: string[] }> {
  const shared = join(dir, 'shared')
  const dry = await runSourceCli(['run', '--config', config, '--dry-run', '--json', '--queue', REDIS_URL, '--queue-name', 'cli-pg-range', '--shared', shared, '--shards', '4', '--split-prefix', 'blobs/', '--split-groups', '2'], { env })
  assert.equal(dry.code, 0, dry.stderr)
  const [outcome] = JSON.parse(dry.stdout) as Array<{ manifest: string, parts: number }>
  assert.equal(outcome?.parts, 4)
  const manifest = JSON.parse(await readFile(outcome?.manifest as string, 'utf8')) as { parts: Array<{ path: string }> }
  const distributed = await plannedKeys(shared, manifest.parts)
  await between()
  const one = await runSourceCli(['run', '--config', config, '--dry-run', '--quiet'], { env })
  assert.equal(one.code, 0, one.stderr)
  const workdir = join(dir, '.keydiff', name)
  const planFile = (await readdir(workdir)).find(file => file.startsWith('plan-') && file.endsWith('.jsonl')) as string
  return { single: await plannedKeys(join(workdir, planFile)), distributed }
}

/** A config of one run `name` over the blob store, with `databases` and one reference. */
async function runConfig (name: string, databases: string, reference: string): Promise<string> {
  const config = join(dir, `${name}.toml`)
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${(await blobStore()).root}"
${databases}
[[runs]]
name = "${name}"
candidates = { store = "local" }
references = [${reference}]
action = { type = "delete" }
`)
  return config
}

test('PostgreSQL references pushed down by range give the same plan as one scan, and each shard reads only its rows (the table\'s statistics)', { timeout: 180_000 }, async () => {
  const { referenced, unreferenced, spelledOtherwise: [byPath, byEscape], odd } = await blobStore()
  // each reference 40 times, so that the planner prefers the index to a scan of the table
  const rows = [...referenced.flatMap(key => Array.from({ length: 40 }, () => key)), ...odd]

  const setup = new pg.Pool({ connectionString: PGURL })
  try {
    await setup.query(`CREATE SCHEMA ${schema}`)
    await setup.query(`CREATE TABLE ${schema}.refs (path text)`)
    await setup.query(`INSERT INTO ${schema}.refs SELECT unnest($1::text[])`, [rows])
    // the indexes the postgres README names: the range's, and the one for what may resolve elsewhere
    await setup.query(`CREATE INDEX refs_path_c ON ${schema}.refs (path COLLATE "C")`)
    await setup.query(`CREATE INDEX refs_path_elsewhere ON ${schema}.refs (path) WHERE path COLLATE "C" ~ '${MAY_RESOLVE_ELSEWHERE}'`)
    await setup.query(`VACUUM ANALYZE ${schema}.refs`)
  } finally {
    await setup.end()
  }

  const config = await runConfig('pg', `
[databases.main]
type = "postgres"
url = "\${PGURL}"
`, `{ database = "main", table = "${schema}.refs", column = "path" }`)
  const stats = new pg.Pool({ connectionString: PGURL, max: 1 })
  try {
    const before = await tableReads(stats)
    const { single, distributed } = await bothPlans(config, 'pg', async () => {
      // Every shard read the table through its indexes (a range scan, and the partial index for
      // what may resolve elsewhere), never by a scan of the table: the range was in its query.
      const reads = await settledReads(stats, now => now.indexScans - before.indexScans >= 4)
      assert.equal(reads.seqScans - before.seqScans, 0, 'no shard scanned the whole table')
      assert.ok(reads.indexScans - before.indexScans >= 4, `every shard used an index: ${JSON.stringify({ before, reads })}`)
      const indexRows = reads.indexRowsRead - before.indexRowsRead
      assert.ok(indexRows >= rows.length && indexRows <= rows.length + 4 * odd.length, `rows read through the indexes: ${indexRows} of ${rows.length}, not 4 × ${rows.length}`)
    })
    assert.deepEqual(single, unreferenced.filter(key => key !== byPath && key !== byEscape), 'the references spelled otherwise keep their objects')
    assert.deepEqual(distributed, single)
  } finally {
    await stats.end()
  }
})

test('MariaDB references pushed down by range give the same plan as one scan', { timeout: 180_000 }, async () => {
  const { referenced, unreferenced, spelledOtherwise: [byPath, byEscape], odd } = await blobStore()
  const expected = unreferenced.filter(key => key !== byPath && key !== byEscape)
  const my = await mysql.createConnection(MYSQL_URL)
  try {
    await my.query(`CREATE DATABASE ${schema}`)
    await my.query(`CREATE TABLE ${schema}.refs (path VARCHAR(300) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci)`)
    await my.query(`INSERT INTO ${schema}.refs (path) VALUES ?`, [[...referenced, ...odd].map(path => [path])])
  } finally {
    await my.end()
  }
  const mysqlPlans = await bothPlans(await runConfig('my', `
[databases.main]
type = "mysql"
url = "\${MYSQL_URL}"
`, `{ database = "main", table = "${schema}.refs", column = "path" }`), 'my')
  assert.deepEqual(mysqlPlans.single, expected)
  assert.deepEqual(mysqlPlans.distributed, mysqlPlans.single)
})

test('MongoDB references under a stripped prefix pushed down by range give the same plan as one scan', { timeout: 180_000 }, async () => {
  const { referenced, unreferenced, spelledOtherwise: [byPath, byEscape], odd } = await blobStore()
  const expected = unreferenced.filter(key => key !== byPath && key !== byEscape)
  // the collection holds the keys under a prefix the run strips, and one key outside it the run drops
  const client = await MongoClient.connect(mongo.url)
  try {
    await client.db(schema).collection('refs').insertMany([...referenced.map(key => `cdn:${key}`), ...odd.map(key => `cdn:${key}`), 'elsewhere/x'].map(path => ({ path })))
  } finally {
    await client.close()
  }
  const mongoPlans = await bothPlans(await runConfig('mongo', `
[databases.main]
type = "mongo"
url = "\${KD_MONGO_URL}"
database = "${schema}"
`, '{ database = "main", collection = "refs", field = "path", stripPrefix = "cdn:", onMismatch = "drop" }'), 'mongo')
  assert.deepEqual(mongoPlans.single, expected)
  assert.deepEqual(mongoPlans.distributed, mongoPlans.single)
})
