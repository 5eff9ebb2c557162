import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import { readPlan } from '@keydiff/core'
import { QueueWorkers } from './queue-workers.ts'
import { runSourceCli } from './run-source-cli.ts'

// A database of its own on the machine's Redis, flushed before and after.
const workers = new QueueWorkers(11, 'cli-discover')
const FIXTURES = fileURLToPath(new URL('./fixtures', import.meta.url))

let dir: string
let config: string
let shared: string

/** Keys that the default hex split points (`4`, `8`, `c` for 4 shards) leave all but one in the last shard. */
function storeKeys (): string[] {
  const keys = ['README.txt']
  for (const year of ['2019', '2020', '2021', '2022', '2023', '2024']) for (let i = 0; i < 20; i++) keys.push(`images/${year}/img-${i}.jpg`)
  for (const team of ['alpha', 'beta', 'delta', 'gamma']) for (let i = 0; i < 15; i++) keys.push(`docs/${team}/doc-${i}.md`)
  for (let day = 1; day <= 6; day++) for (let i = 0; i < 20; i++) keys.push(`logs/2026-11-0${day}/${i}.log`)
  return keys
}

before(async () => {
  await workers.flush()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-discover-'))
  const root = join(dir, 'store')
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  const keys = storeKeys()
  for (const key of keys) {
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), key)
    await utimes(join(root, key), old, old)
  }
  await writeFile(join(dir, 'refs.txt'), keys.filter((_, i) => i % 7 !== 0).join('\n') + '\n')
  config = join(dir, 'keydiff.toml')
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "media"
candidates = { store = "local" }
references = [{ file = "refs.txt" }]
action = { type = "delete" }
`)
  shared = join(dir, 'shared')
})

after(async () => {
  await workers.stop()
  await rm(dir, { recursive: true, force: true })
})

const queue = (): string[] => ['--queue', workers.url, '--queue-name', workers.queue, '--shared', shared]

test('keydiff run --queue --split-discover: a directory store of non-hex keys is cut at its directories, planned exactly as one process plans it', { timeout: 120_000 }, async () => {
  const single = await runSourceCli(['run', '--config', config, '--dry-run', '--quiet'])
  assert.equal(single.code, 0, single.stderr)
  const workdir = join(dir, '.keydiff', 'media')
  const planFile = (await readdir(workdir)).find(name => name.startsWith('plan-') && name.endsWith('.jsonl')) as string
  const expected: string[] = []
  for await (const batch of (await readPlan(join(workdir, planFile))).batches()) expected.push(...batch.map(entry => entry.key))
  assert.equal(expected.length, 43)

  await Promise.all([workers.start(shared), workers.start(shared)])
  const dry = await runSourceCli(['run', '--config', config, '--dry-run', '--json', ...queue(), '--shards', '4', '--split-discover'])
  assert.equal(dry.code, 0, dry.stderr)
  const [outcome] = JSON.parse(dry.stdout) as Array<{ manifest: string, counts: { candidates: number, planned: number }, parts: number }>
  assert.deepEqual([outcome?.parts, outcome?.counts.candidates, outcome?.counts.planned], [4, 301, 43])
  const manifest = JSON.parse(await readFile(outcome?.manifest as string, 'utf8')) as { parts: Array<{ path: string, range: { after?: string, upTo?: string }, counts: { candidates: number } }> }
  // the 19 directories of the first two levels, three of them spread evenly as the cuts
  assert.deepEqual(manifest.parts.map(part => part.range.upTo), ['docs/gamma/', 'images/2022/', 'logs/2026-11-02/', undefined])
  assert.deepEqual(manifest.parts.map(part => part.counts.candidates), [46, 75, 80, 100])
  const planned: string[] = []
  for (const part of manifest.parts) for await (const batch of (await readPlan(join(shared, part.path))).batches()) planned.push(...batch.map(entry => entry.key))
  assert.deepEqual(planned, expected)

  // the default, hex split points, for contrast: one shard lists all but README.txt
  const hex = await runSourceCli(['run', '--config', config, '--dry-run', '--json', ...queue(), '--shards', '4'])
  assert.equal(hex.code, 0, hex.stderr)
  const hexManifest = JSON.parse(await readFile((JSON.parse(hex.stdout) as Array<{ manifest: string }>)[0]?.manifest as string, 'utf8')) as typeof manifest
  assert.deepEqual(hexManifest.parts.map(part => part.counts.candidates), [0, 0, 1, 300])
})

test('--split-discover is one way to split among the others, and --split-delimiter goes with it', async () => {
  const both = await runSourceCli(['run', '--config', config, '--dry-run', ...queue(), '--split-discover', '--split-prefix', 'blobs/'])
  assert.equal(both.code, 2, both.stderr)
  assert.match(both.stderr, /give one way to split the key space: .*--split-discover/)
  const alone = await runSourceCli(['run', '--config', config, '--dry-run', ...queue(), '--split-delimiter', '-'])
  assert.equal(alone.code, 2, alone.stderr)
  assert.match(alone.stderr, /--split-delimiter is the delimiter of --split-discover/)
})

test('--split-discover on a store whose driver cannot discover, or a run without a store, is a usage error naming it', async () => {
  const project = join(dir, 'third-party')
  await mkdir(join(project, 'node_modules'), { recursive: true })
  await symlink(join(FIXTURES, 'keydiff-store-memory'), join(project, 'node_modules', 'keydiff-store-memory'), 'dir')
  await writeFile(join(project, 'keys.json'), JSON.stringify(['a/live', 'b/orphan']))
  await writeFile(join(project, 'refs.txt'), 'a/live\n')
  await writeFile(join(project, 'keydiff.toml'), `
[stores.memory]
type = "keydiff-store-memory"
file = "keys.json"

[[runs]]
name = "memory"
candidates = { store = "memory" }
references = [{ file = "refs.txt" }]

[[runs]]
name = "listed"
candidates = { file = "refs.txt" }
references = [{ file = "refs.txt" }]
`)
  const memory = await runSourceCli(['run', '--config', join(project, 'keydiff.toml'), '--dry-run', ...queue(), '--split-discover', '--only', 'memory'])
  assert.equal(memory.code, 2, memory.stderr)
  assert.match(memory.stderr, /a keydiff-store-memory store \(memory, of the run "memory"\) cannot discover split points/)
  const listed = await runSourceCli(['run', '--config', join(project, 'keydiff.toml'), '--dry-run', ...queue(), '--split-discover', '--only', 'listed'])
  assert.equal(listed.code, 2, listed.stderr)
  assert.match(listed.stderr, /the run "listed" has no store: its candidates are the file refs\.txt/)
})
