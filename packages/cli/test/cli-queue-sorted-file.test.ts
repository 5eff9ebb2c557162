import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { once } from 'node:events'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { compareKeys, readPlan, type KeySource } from '@keydiff/core'
import { describeRun, loadConfig, openRun } from '../src/index.ts'
import { QueueWorkers } from './queue-workers.ts'
import { runSourceCli } from './run-source-cli.ts'

// A Redis database of its own, flushed before and after.
const workers = new QueueWorkers(10, 'cli-sorted-file')
const CDN = 'https://cdn.example.com/'
// the directory of a scenario's files, named by a variable whose value no process may send to Redis
const env = { KD_SORTED_DIR: 'refs-s3cr3t-5e1d' }

let dir: string
let shared: string
let root: string
/** The store's 400 keys, in byte order; keys i % 8 == 0 are referenced by no file. */
let keys: string[]
/** What the workers wrote on stderr, from both. */
let workerLog = ''

before(async () => {
  await workers.flush()
  dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-sorted-file-'))
  shared = join(dir, 'shared')
  root = join(dir, 'store')
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  keys = []
  for (let i = 0; i < 400; i++) {
    const hash = createHash('sha1').update(String(i)).digest('hex')
    const key = `blobs/${hash.slice(0, 2)}/${hash.slice(2)}`
    keys.push(key)
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), hash)
    await utimes(join(root, key), old, old)
  }
  for (const child of await Promise.all([workers.start(shared, env), workers.start(shared, env)])) {
    child.stderr?.on('data', (chunk: string) => { workerLog += chunk })
  }
})

after(async () => {
  await workers.stop()
  await rm(dir, { recursive: true, force: true })
})

const linesReferenced = (): string[] => keys.filter((_, i) => i % 8 >= 1 && i % 8 <= 4).sort(compareKeys)
const jsonlReferenced = (): string[] => keys.filter((_, i) => i % 8 >= 5).sort(compareKeys)
const orphans = (): string[] => keys.filter((_, i) => i % 8 === 0).sort(compareKeys)

/** A run of its own directory: its config, its files of references, its work directory. */
async function scenario (name: string, files: Record<string, string>, references: string): Promise<string> {
  const home = join(dir, name)
  await mkdir(join(home, env.KD_SORTED_DIR), { recursive: true })
  for (const [file, text] of Object.entries(files)) await writeFile(join(home, env.KD_SORTED_DIR, file), text)
  const config = join(home, 'keydiff.toml')
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = ${references}
`)
  return config
}

const queueArgs = (): string[] => ['--queue', workers.url, '--queue-name', 'cli-sorted-file', '--shared', shared, '--shards', '4', '--split-prefix', 'blobs/']

/** The keys `keydiff run --dry-run` plans in one process. */
async function singlePlan (config: string): Promise<string[]> {
  const single = await runSourceCli(['run', '--config', config, '--dry-run', '--quiet'], { env })
  assert.equal(single.code, 0, single.stderr)
  const workdir = join(dirname(config), '.keydiff', 'blobs')
  const planFile = (await readdir(workdir)).find(name => name.startsWith('plan-') && name.endsWith('.jsonl')) as string
  const planned: string[] = []
  for await (const batch of (await readPlan(join(workdir, planFile))).batches()) planned.push(...batch.map(entry => entry.key))
  return planned
}

/** The keys the distributed dry run plans, and what it said on stderr. */
async function distributedPlan (config: string): Promise<{ planned: string[], stderr: string }> {
  const dry = await runSourceCli(['run', '--config', config, '--dry-run', '--json', ...queueArgs()], { env })
  assert.equal(dry.code, 0, dry.stderr)
  const [outcome] = JSON.parse(dry.stdout) as Array<{ manifest: string, parts: number }>
  assert.equal(outcome?.parts, 4)
  const manifest = JSON.parse(await readFile(outcome?.manifest as string, 'utf8')) as { parts: Array<{ path: string }> }
  const planned: string[] = []
  for (const part of manifest.parts) for await (const batch of (await readPlan(join(shared, part.path))).batches()) planned.push(...batch.map(entry => entry.key))
  return { planned, stderr: dry.stderr }
}

interface RangeRead { shard: string, start: number, end: number, size: number, keys: number }

/** The byte-range reads of `file` the workers reported, in file order. */
function rangeReadsOf (file: string): RangeRead[] {
  const pattern = /shard (\(.*\]): file:(.*) read by byte range, bytes (\d+)-(\d+) of (\d+) \((\d+) keys\)/
  return workerLog.split('\n').flatMap(line => {
    const match = pattern.exec(line)
    if (match === null || match[2] !== file) return []
    return [{ shard: match[1] as string, start: Number(match[3]), end: Number(match[4]), size: Number(match[5]), keys: Number(match[6]) }]
  }).sort((a, b) => a.start - b.start)
}

/** The reads tile the file: each starts where the one before ended, and together they read each key once. */
function assertTiled (reads: RangeRead[], size: number, count: number): void {
  assert.equal(reads.length, 4, JSON.stringify(reads))
  let at = 0
  for (const read of reads) {
    assert.equal(read.start, at, JSON.stringify(reads))
    assert.equal(read.size, size)
    assert.ok(read.end - read.start < size / 2, `a shard read ${read.end - read.start} of ${size} bytes`)
    at = read.end
  }
  assert.equal(at, size)
  assert.equal(reads.reduce((sum, read) => sum + read.keys, 0), count)
}

test('sorted lines and JSON Lines files: each shard reads only its byte range, and the run plans what one process plans', { timeout: 120_000 }, async () => {
  const lines = linesReferenced()
  const jsonl = jsonlReferenced()
  const config = await scenario('sorted', {
    'refs.txt': lines.join('\n') + '\n',
    // keys as a CDN's URLs, mapped to the store by stripPrefix: still sorted as written
    'refs.jsonl': jsonl.map((key, i) => JSON.stringify({ url: CDN + key, n: i })).join('\n') + '\n'
  }, `[{ file = "\${KD_SORTED_DIR}/refs.txt", sorted = true }, { file = "\${KD_SORTED_DIR}/refs.jsonl", field = "url", stripPrefix = "${CDN}", sorted = true }]`)
  const expected = await singlePlan(config)
  assert.deepEqual(expected, orphans())

  workerLog = ''
  // every command any process sends to Redis during the run, as MONITOR shows them
  const monitor = spawn('redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'MONITOR'], { stdio: ['ignore', 'pipe', 'ignore'] })
  let sent = ''
  monitor.stdout.setEncoding('utf8').on('data', (chunk: string) => { sent += chunk })
  await new Promise(resolve => setTimeout(resolve, 200))
  let distributed: Awaited<ReturnType<typeof distributedPlan>>
  try {
    distributed = await distributedPlan(config)
  } finally {
    const exited = once(monitor, 'exit')
    monitor.kill('SIGKILL')
    await exited
  }
  const { planned, stderr } = distributed
  assert.deepEqual(planned, expected)
  assert.doesNotMatch(stderr, /read whole by every shard/)
  assert.match(sent, /sortedFiles/, 'the verified files travel in the description')
  assert.doesNotMatch(sent, /s3cr3t-5e1d/, 'the value of a ${VAR} in a verified file\'s path is sent to Redis by no process')
  const home = dirname(config)
  assertTiled(rangeReadsOf(join(home, env.KD_SORTED_DIR, 'refs.txt')), (await stat(join(home, env.KD_SORTED_DIR, 'refs.txt'))).size, lines.length)
  assertTiled(rangeReadsOf(join(home, env.KD_SORTED_DIR, 'refs.jsonl')), (await stat(join(home, env.KD_SORTED_DIR, 'refs.jsonl'))).size, jsonl.length)
})

test('a file claimed sorted that is not fails the run before any shard, naming the file, the line and both keys', { timeout: 60_000 }, async () => {
  const lines = linesReferenced()
  const swapped = [...lines]
  ;[swapped[100], swapped[101]] = [swapped[101] as string, swapped[100] as string]
  const config = await scenario('unsorted', { 'refs.txt': swapped.join('\n') + '\n' }, '[{ file = "${KD_SORTED_DIR}/refs.txt", sorted = true }]')
  const runsBefore = await readdir(shared).catch(() => [])
  workerLog = ''
  const failed = await runSourceCli(['run', '--config', config, '--dry-run', ...queueArgs()], { env })
  assert.equal(failed.code, 1, failed.stderr)
  assert.match(failed.stderr, /KEYDIFF_NOT_SORTED/)
  assert.ok(failed.stderr.includes(join(dirname(config), env.KD_SORTED_DIR, 'refs.txt')), failed.stderr)
  assert.ok(failed.stderr.includes(`line 102 (byte ${101 * (lines[0] as string).length + 101})`), failed.stderr)
  assert.ok(failed.stderr.includes(JSON.stringify(swapped[101])) && failed.stderr.includes(JSON.stringify(swapped[100])), failed.stderr)
  // no shard ran, and nothing was planned
  assert.deepEqual(await readdir(shared).catch(() => []), runsBefore)
  assert.equal(workerLog, '')
})

test('a sorted file holding references that resolve elsewhere is read whole by every shard, said in one line, and plans what one process plans', { timeout: 120_000 }, async () => {
  const lines = linesReferenced()
  // two orphans of the last shard, referenced by spellings that sort into the first shard's range
  const [byPath, byEscape] = orphans().slice(-2) as [string, string]
  const spelled = [join(root, byPath), byEscape.replaceAll('/', '%2F')]
  const config = await scenario('elsewhere', { 'refs.txt': [...lines, ...spelled].sort(compareKeys).join('\n') + '\n' }, '[{ file = "${KD_SORTED_DIR}/refs.txt", sorted = true }]')
  const expected = await singlePlan(config)
  assert.deepEqual(expected, keys.filter(key => !lines.includes(key) && key !== byPath && key !== byEscape).sort(compareKeys))

  workerLog = ''
  const { planned, stderr } = await distributedPlan(config)
  assert.deepEqual(planned, expected)
  const warnings = stderr.split('\n').filter(line => line.includes('read whole by every shard'))
  assert.equal(warnings.length, 1, stderr)
  assert.match(warnings[0] as string, /2 of its 202 keys may resolve to another key/)
  assert.ok((warnings[0] as string).includes(JSON.stringify(spelled[0])), warnings[0])
  assert.deepEqual(rangeReadsOf(join(dirname(config), env.KD_SORTED_DIR, 'refs.txt')), [])
})

test('sorted = true on a CSV file is a config error naming the key', async () => {
  for (const [name, reference] of [['csv-format', '{ file = "${KD_SORTED_DIR}/refs.txt", format = "csv", sorted = true }'], ['csv-extension', '{ file = "${KD_SORTED_DIR}/refs.csv", sorted = true }']] as const) {
    const config = await scenario(name, { 'refs.txt': 'a\n', 'refs.csv': 'a\n' }, `[${reference}]`)
    const result = await runSourceCli(['run', '--config', config, '--dry-run'], { env })
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /runs\[0\]\.references\[0\]\.sorted/)
    assert.match(result.stderr, /CSV file cannot be read by byte range/)
  }
})

async function keysOf (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) out.push(...batch.map(entry => entry.key))
  return out
}

test('a shard reads by byte range only the file its description verified, and fails when the file changed since', async () => {
  const lines = linesReferenced()
  const config = await scenario('stamp', { 'refs.txt': lines.join('\n') + '\n' }, '[{ file = "${KD_SORTED_DIR}/refs.txt", sorted = true }]')
  const path = join(dirname(config), env.KD_SORTED_DIR, 'refs.txt')
  const info = await stat(path)
  const loaded = await loadConfig(config, env)
  const range = { after: 'blobs/40', upTo: 'blobs/80' }
  const inRange = lines.filter(key => compareKeys(key, range.after) > 0 && compareKeys(key, range.upTo) <= 0)

  const verified = await openRun(describeRun(loaded, 'blobs', { sortedFiles: [{ reference: 0, size: info.size, mtimeMs: info.mtimeMs }] }), env)
  try {
    const references = await verified.references({ range })
    assert.deepEqual(await keysOf(references.sources[0] as KeySource), inRange)
    assert.equal(references.byteRangeReads[0]?.byteRange?.keys, inRange.length)
  } finally {
    await verified.close()
  }

  // no stamp: the file is read whole (referencesInRange keeps the shard's keys of it)
  const unverified = await openRun(describeRun(loaded, 'blobs'), env)
  try {
    const references = await unverified.references({ range })
    assert.deepEqual(await keysOf(references.sources[0] as KeySource), lines)
    assert.deepEqual(references.byteRangeReads, [])
  } finally {
    await unverified.close()
  }

  const stale = await openRun(describeRun(loaded, 'blobs', { sortedFiles: [{ reference: 0, size: info.size - 1, mtimeMs: info.mtimeMs }] }), env)
  try {
    const references = await stale.references({ range })
    await assert.rejects(keysOf(references.sources[0] as KeySource), (error: unknown) => {
      assert.equal((error as { code?: string }).code, 'KEYDIFF_SOURCE_FAILED')
      assert.match((error as Error).message, /changed since its order was verified: its size went from/)
      return true
    })
  } finally {
    await stale.close()
  }

  const description = { ...describeRun(loaded, 'blobs'), sortedFiles: [{ reference: 0, size: info.size }] }
  await assert.rejects(openRun(description as unknown as ReturnType<typeof describeRun>, env), { code: 'KEYDIFF_CONFIG_INVALID' })
})
