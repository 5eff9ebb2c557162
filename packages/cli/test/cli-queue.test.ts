import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { access, mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { readPlan } from '@keydiff/core'
import { QueueWorkers } from './queue-workers.ts'
import { runSourceCli } from './run-source-cli.ts'

// A database of its own on the machine's Redis, flushed before and after.
const workers = new QueueWorkers(8, 'cli-test')
const REDIS_URL = workers.url

let dir: string

before(async () => {
  await workers.flush()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-queue-'))
})

after(async () => {
  await workers.stop()
  await rm(dir, { recursive: true, force: true })
})

test('keydiff run --queue: two keydiff workers plan the run in shards exactly as one process does, apply it, and no secret enters Redis', { timeout: 120_000 }, async () => {
  const root = join(dir, 'store')
  const secretDir = join(dir, 'refs-s3cr3t-7f3a')
  await mkdir(secretDir)
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  const keys: string[] = []
  const references: string[] = []
  for (let i = 0; i < 400; i++) {
    const hash = createHash('sha1').update(String(i)).digest('hex')
    const key = `blobs/${hash.slice(0, 2)}/${hash.slice(2)}`
    keys.push(key)
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), hash)
    await utimes(join(root, key), old, old)
    if (i % 8 !== 0) references.push(key)
  }
  await writeFile(join(secretDir, 'refs.txt'), references.join('\n') + '\n')
  const config = join(dir, 'keydiff.toml')
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ file = "\${KD_REFERENCES}/refs.txt" }]
action = { type = "delete" }
`)
  const env = { KD_REFERENCES: secretDir }
  const shared = join(dir, 'shared')
  await Promise.all([workers.start(shared, env), workers.start(shared, env)])
  const queue = ['--queue', REDIS_URL, '--queue-name', 'cli-test', '--shared', shared, '--shards', '4', '--split-prefix', 'blobs/', '--split-groups', '2']

  const single = await runSourceCli(['run', '--config', config, '--dry-run', '--quiet'], { env })
  assert.equal(single.code, 0, single.stderr)
  const workdir = join(dir, '.keydiff', 'blobs')
  const planFile = (await readdir(workdir)).find(name => name.startsWith('plan-') && name.endsWith('.jsonl')) as string
  const expected: string[] = []
  for await (const batch of (await readPlan(join(workdir, planFile))).batches()) expected.push(...batch.map(entry => entry.key))
  assert.equal(expected.length, 50)

  const dry = await runSourceCli(['run', '--config', config, '--dry-run', '--json', '--scatter-references', ...queue], { env })
  assert.equal(dry.code, 0, dry.stderr)
  const [outcome] = JSON.parse(dry.stdout) as Array<{ manifest: string, counts: { planned: number, candidates: number }, parts: number }>
  assert.equal(outcome?.parts, 4)
  assert.equal(outcome?.counts.candidates, 400)
  const manifest = JSON.parse(await (await import('node:fs/promises')).readFile(outcome?.manifest as string, 'utf8')) as { parts: Array<{ path: string }> }
  const planned: string[] = []
  for (const part of manifest.parts) for await (const batch of (await readPlan(join(shared, part.path))).batches()) planned.push(...batch.map(entry => entry.key))
  assert.deepEqual(planned, expected)

  // the next run splits where this one's shards ended, joined by the keys they listed
  const fromManifest = ['--queue', REDIS_URL, '--queue-name', 'cli-test', '--shared', shared, '--shards', '2', '--split-from', outcome?.manifest as string]
  const again = await runSourceCli(['run', '--config', config, '--dry-run', '--json', ...fromManifest], { env })
  assert.equal(again.code, 0, again.stderr)
  const [split] = JSON.parse(again.stdout) as Array<{ parts: number, counts: { planned: number, candidates: number } }>
  assert.equal(split?.parts, 2)
  assert.deepEqual([split?.counts.candidates, split?.counts.planned], [400, 50])
  const both = await runSourceCli(['run', '--config', config, '--dry-run', ...fromManifest, '--split-prefix', 'blobs/'], { env })
  assert.equal(both.code, 2, both.stderr)
  assert.match(both.stderr, /give one way to split the key space/)

  // every command any process sends to Redis during the run, as MONITOR shows them
  const monitor = spawn('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'MONITOR'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let sent = ''
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => { sent += chunk })
  await new Promise(resolve => setTimeout(resolve, 200))
  let real: Awaited<ReturnType<typeof runSourceCli>>
  try {
    real = await runSourceCli(['run', '--config', config, ...queue], { env })
  } finally {
    const exited = once(monitor, 'exit')
    monitor.kill('SIGKILL')
    await exited
  }
  assert.equal(real.code, 0, real.stderr)
  assert.match(real.stdout, /== blobs \(file:\/\/.*\) on 4 shards/)
  assert.match(real.stdout, /delete: 50 done, 0 already done, 0 dropped by the re-check, 0 failed/)
  // progress across the workers, as plain lines down a pipe
  assert.match(real.stderr, /blobs: plan, 4\/4 shards done/)
  for (const key of expected) await assert.rejects(access(join(root, key)), `${key} is deleted`)
  for (const key of references) await access(join(root, key))

  assert.match(sent, /\$\{KD_REFERENCES\}/, 'the description travels with its ${VAR} names')
  assert.doesNotMatch(sent, /s3cr3t-7f3a/, 'the value of a ${VAR} is sent to Redis by no process')
  // and the run's jobs left Redis once it was over (the queue's own keys stay)
  assert.deepEqual((await workers.redis('KEYS', 'bull:cli-test:*')).split('\n').filter(key => /^bull:cli-test:\d/.test(key)), [])
})

test('keydiff run --queue --status: the runs in the queue, none once they are over', async () => {
  const status = await runSourceCli(['run', '--queue', REDIS_URL, '--queue-name', 'cli-test', '--status'])
  assert.equal(status.code, 0, status.stderr)
  assert.equal(status.stdout, 'no runs in queue cli-test\n')
})

test('keydiff run --queue and keydiff worker: a missing --shared is a usage error', async () => {
  const worker = await runSourceCli(['worker', '--queue', REDIS_URL])
  assert.equal(worker.code, 2)
  assert.match(worker.stderr, /--shared is required/)
  const queued = await runSourceCli(['run', '--queue', REDIS_URL, '--shards', '0', '--shared', dir])
  assert.equal(queued.code, 2)
  assert.match(queued.stderr, /--shards "0" is not a positive integer/)
})
