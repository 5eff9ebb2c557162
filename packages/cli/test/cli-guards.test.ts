import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-guards-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

const HOUR = 3_600_000
const OLD = new Date(Date.now() - 72 * HOUR)
let counter = 0

async function makeStore (keys: readonly string[], time = OLD): Promise<string> {
  const root = join(dir, `store-${++counter}`)
  await mkdir(root, { recursive: true })
  for (const key of keys) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'data')
    await utimes(path, time, time)
  }
  return root
}

async function refsFile (keys: readonly string[]): Promise<string> {
  const path = join(dir, `refs-${++counter}.txt`)
  await writeFile(path, keys.map(key => `${key}\n`).join(''))
  return path
}

async function planned (path: string): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean).slice(1)
  return lines.map(line => (JSON.parse(line) as { key: string }).key).sort()
}

async function files (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !join(entry.parentPath, entry.name).includes('/.keydiff/')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

/** A refusal: exit 1, one line naming the guard and what overrides it (after the phases' progress), and no plan file. */
async function assertRefused (result: { code: number, stderr: string }, out: string, guard: string, override: RegExp): Promise<void> {
  assert.equal(result.code, 1, result.stderr)
  // the progress lines of the phases that ran come first, then the refusal in one line
  const lines = result.stderr.trim().split('\n').filter(line => !/ · .*done in /.test(line))
  assert.equal(lines.length, 1, `one line: ${result.stderr}`)
  assert.match(result.stderr, new RegExp(`${guard} guard`))
  assert.match(result.stderr, override)
  assert.match(result.stderr, /KEYDIFF_PLAN_REFUSED/)
  await assert.rejects(stat(out), { code: 'ENOENT' }, 'no plan is written')
}

const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.bin`)

test('keydiff plan: an empty references file is refused (exit 1, no plan); --allow-empty-references lets it through', async () => {
  const root = await makeStore(numbered('blobs/', 3))
  const empty = await refsFile([])
  const out = join(dir, 'empty.plan.jsonl')
  await assertRefused(await cli(['plan', '--store', root, '--references', empty, '--out', out]), out, 'emptyReferences', /pass --allow-empty-references to plan anyway/)
  const allowed = await cli(['plan', '--store', root, '--references', empty, '--out', out, '--allow-empty-references', '--max-orphan-share', '1'])
  assert.equal(allowed.code, 0, allowed.stderr)
  assert.deepEqual(await planned(out), numbered('blobs/', 3))
})

test('keydiff plan: references under a wrong prefix (most match nothing) are refused; --max-missing-share overrides', async () => {
  const keys = numbered('', 10)
  const root = await makeStore(keys)
  const wrong = await refsFile([...keys.slice(0, 8).map(key => `tables/t1/${key}`), ...keys.slice(8)])
  const out = join(dir, 'prefix.plan.jsonl')
  await assertRefused(await cli(['plan', '--store', root, '--references', wrong, '--out', out]), out, 'missingShare', /80% of the references .* pass --max-missing-share <share 0\.\.1, 1 turns it off> to plan anyway/)
  const forced = await cli(['plan', '--store', root, '--references', wrong, '--out', out, '--max-missing-share', '1', '--json'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.equal((JSON.parse(forced.stdout) as { header: { counts: { planned: number } } }).header.counts.planned, 8)
})

test('keydiff plan: nearly the whole store is refused; --max-orphan-share overrides; the table shows the shares', async () => {
  const keys = numbered('img/', 20)
  const root = await makeStore(keys)
  const one = await refsFile([keys[0] as string])
  const out = join(dir, 'whole.plan.jsonl')
  await assertRefused(await cli(['plan', '--store', root, '--references', one, '--out', out]), out, 'orphanShare', /95% of the objects .* pass --max-orphan-share/)
  const forced = await cli(['plan', '--store', root, '--references', one, '--out', out, '--max-orphan-share', '0.95'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.match(forced.stdout, /95% of candidates planned \(limit 95%\)/)
})

test('keydiff plan: hidden Spark-style names are not planned; --no-protect-hidden plans them', async () => {
  const live = ['events/part-0.parquet', 'events/dt=1/part-1.parquet']
  const orphans = ['events/dt=2/part-2.parquet', 'events/_dt=3/part-3.parquet']
  const hidden = ['events/_SUCCESS', 'events/_temporary/0/part-9.parquet', 'events/.part-0.parquet.crc', '.hoodie/1.commit', 'events/_hidden_dir/x.parquet', '.DS_Store']
  const root = await makeStore([...live, ...orphans, ...hidden])
  const refs = await refsFile(live)
  const out = join(dir, 'spark.plan.jsonl')
  const result = await cli(['plan', '--store', root, '--references', refs, '--out', out])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await planned(out), [...orphans].sort())
  assert.match(result.stdout, /6 hidden \(protected\)/)
  const all = await cli(['plan', '--store', root, '--references', refs, '--out', out, '--no-protect-hidden'])
  assert.equal(all.code, 0, all.stderr)
  assert.deepEqual(await planned(out), [...orphans, ...hidden].sort())
})

test('keydiff plan: --exclude keeps a prefix out of the candidates', async () => {
  const root = await makeStore(['data/a.bin', 'data/live.bin', 'data/b.bin', 'trash/data/c.bin'])
  const out = join(dir, 'exclude.plan.jsonl')
  const result = await cli(['plan', '--store', root, '--references', await refsFile(['data/live.bin']), '--out', out, '--exclude', 'trash/'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await planned(out), ['data/a.bin', 'data/b.bin'])
  assert.match(result.stdout, /1 stored keys excluded before the diff \(\.keydiff, trash\/\)/)
})

test('keydiff plan: an export written 40 h ago fences an object written 30 h ago under a 24 h grace; the table names the basis', async () => {
  const now = Date.now()
  const root = await makeStore(['live.bin', 'old-orphan.bin'], new Date(now - 100 * HOUR))
  const recent = join(root, 'recent-orphan.bin')
  await writeFile(recent, 'data')
  await utimes(recent, new Date(now - 30 * HOUR), new Date(now - 30 * HOUR))
  const refs = await refsFile(['live.bin'])
  await utimes(refs, new Date(now - 40 * HOUR), new Date(now - 40 * HOUR))
  const out = join(dir, 'fence.plan.jsonl')
  const result = await cli(['plan', '--store', root, '--references', refs, '--out', out, '--grace', '24h', '--max-orphan-share', '1'])
  assert.equal(result.code, 0, result.stderr)
  assert.deepEqual(await planned(out), ['old-orphan.bin'])
  assert.match(result.stdout, /1 too young/)
  assert.match(result.stdout, /references true at [^ ]+: file modified of references /)
})

test('keydiff plan: --references-as-of declares the basis', async () => {
  const now = Date.now()
  const root = await makeStore(['live.bin', 'a.bin', 'b.bin'], new Date(now - 30 * HOUR))
  const out = join(dir, 'declared.plan.jsonl')
  const asOf = new Date(now - 60 * HOUR).toISOString()
  const result = await cli(['plan', '--store', root, '--references', await refsFile(['live.bin']), '--out', out, '--references-as-of', asOf, '--json'])
  assert.equal(result.code, 0, result.stderr)
  const header = (JSON.parse(result.stdout) as { header: { fenceBasis: unknown, counts: { tooYoung: number } } }).header
  assert.deepEqual(header.fenceBasis, { time: asOf, source: null, basis: 'declared' })
  assert.equal(header.counts.tooYoung, 2)
})

test('keydiff plan: --location resolves a listing\'s references: s3a is s3, --equal-authority, --prefix-mismatch', async () => {
  const listing = join(dir, 'listing.jsonl')
  const old = OLD.toISOString()
  await writeFile(listing, ['a.bin', 'b.bin', 'c.bin', 'd.bin', 'e.bin'].map(key => JSON.stringify({ key: `data/${key}`, size: 4, lastModified: old })).join('\n') + '\n')
  const out = join(dir, 'location.plan.jsonl')
  const base = ['plan', '--candidates', listing, '--location', 's3://bucket/data/', '--out', out]
  const refs = await refsFile(['s3a://bucket/data/a.bin', 's3://mirror/data/b.bin', 'data/c.bin'])
  const aliased = await cli([...base, '--references', refs, '--equal-authority', 'mirror=bucket'])
  assert.equal(aliased.code, 0, aliased.stderr)
  assert.deepEqual(await planned(out), ['data/d.bin', 'data/e.bin'])

  // another scheme names a stored object: a conflict, refused by default as Iceberg does
  const other = await refsFile(['data/a.bin', 'data/b.bin', 'data/c.bin', 'gs://bucket/data/d.bin'])
  await rm(out)
  const conflict = await cli([...base, '--references', other])
  assert.equal(conflict.code, 1)
  assert.match(conflict.stderr, /KEYDIFF_PREFIX_MISMATCH/)
  await assert.rejects(stat(out), { code: 'ENOENT' })
  assert.equal((await cli([...base, '--references', other, '--prefix-mismatch', 'ignore'])).code, 0)
  assert.deepEqual(await planned(out), ['data/e.bin'])
  assert.equal((await cli([...base, '--references', other, '--prefix-mismatch', 'delete'])).code, 0)
  assert.deepEqual(await planned(out), ['data/d.bin', 'data/e.bin'])
  assert.equal((await cli([...base, '--references', other, '--equal-scheme', 'gs=s3'])).code, 0)
  assert.deepEqual(await planned(out), ['data/e.bin'])
})

test('keydiff plan: malformed guard flags and --grace 0 without --allow-zero-grace are usage errors (exit 2)', async () => {
  const root = await makeStore(['k.bin'])
  const refs = await refsFile(['k.bin'])
  const out = join(dir, 'usage.plan.jsonl')
  const base = ['plan', '--store', root, '--references', refs, '--out', out]
  const cases: Array<[string[], RegExp]> = [
    [['--max-orphan-share', '2'], /--max-orphan-share must be a share between 0 and 1/],
    [['--max-missing-share', 'half'], /--max-missing-share must be a share/],
    [['--equal-scheme', 's3a'], /--equal-scheme takes alias=canonical/],
    [['--prefix-mismatch', 'maybe'], /--prefix-mismatch must be error, ignore, delete/],
    [['--references-as-of', 'yesterday'], /--references-as-of must be an ISO time/],
    [['--grace', '24'], /--grace must be a duration/],
    [['--grace', '0'], /--allow-zero-grace/],
    [['--store', root, '--location', 's3://b/'], /--location is for --candidates/]
  ]
  for (const [extra, message] of cases) {
    const result = await cli([...base, ...extra])
    assert.equal(result.code, 2, `${extra.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, message)
  }
  const listed = await cli(['plan', '--candidates', refs, '--references', refs, '--out', out, '--equal-scheme', 's3a=s3'])
  assert.equal(listed.code, 2)
  assert.match(listed.stderr, /--equal-scheme resolve references against a store: give --location/)
})

function runConfig (root: string, refs: string, extra = ''): string {
  return `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ file = "${refs}" }]
${extra}`
}

test('keydiff run: a refused plan exits 1 naming the run\'s TOML key; the keys override each guard', async () => {
  const root = await makeStore(numbered('b/', 4))
  const empty = await refsFile([])
  const file = join(dir, 'guards.toml')
  await writeFile(file, runConfig(root, empty, 'action = { type = "delete" }'))
  // --quiet: progress lines (plain lines on a pipe) would stand beside the one error line
  const refused = await cli(['run', '--config', file, '--quiet'])
  assert.equal(refused.code, 1, refused.stderr)
  assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr)
  assert.match(refused.stderr, /emptyReferences guard.*set allowEmptyReferences = true in run "blobs" of .*guards\.toml/)
  assert.deepEqual(await files(root), numbered('b/', 4), 'nothing is deleted')

  await writeFile(file, runConfig(root, empty, 'allowEmptyReferences = true\naction = { type = "delete" }'))
  const next = await cli(['run', '--config', file])
  assert.equal(next.code, 1)
  assert.match(next.stderr, /orphanShare guard.*set maxOrphanShare = <share 0\.\.1, 1 turns it off> in run "blobs"/)

  await writeFile(file, runConfig(root, empty, 'allowEmptyReferences = true\nmaxOrphanShare = 1\naction = { type = "delete" }'))
  const done = await cli(['run', '--config', file])
  assert.equal(done.code, 0, done.stderr)
  assert.deepEqual(await files(root), [])
})

test('keydiff run: protectHidden, maxMissingShare and a TOML date-time referencesAsOf reach the plan', async () => {
  const root = await makeStore(['t/part-0.parquet', 't/part-1.parquet', 't/_SUCCESS', 't/.part-1.parquet.crc', 'live.bin'], new Date(Date.now() - 100 * HOUR))
  const refs = await refsFile(['live.bin', 'gone/1', 'gone/2'])
  const asOf = new Date(Date.now() - 48 * HOUR)
  asOf.setUTCMilliseconds(0)
  const file = join(dir, 'keys.toml')
  await writeFile(file, runConfig(root, refs, `protectHidden = false\nmaxMissingShare = 0.7\nreferencesAsOf = ${asOf.toISOString().replace('.000Z', 'Z')}`))
  const result = await cli(['run', '--config', file, '--json'])
  assert.equal(result.code, 0, result.stderr)
  const [outcome] = JSON.parse(result.stdout) as Array<{ plan: { header: { counts: { planned: number, hidden: number }, fenceBasis: { basis: string, time: string }, store: string, guards: { maxMissingShare: number } } } }>
  assert.equal(outcome?.plan.header.counts.planned, 4)
  assert.equal(outcome?.plan.header.counts.hidden, 0)
  assert.deepEqual(outcome?.plan.header.fenceBasis.basis, 'declared')
  assert.equal(outcome?.plan.header.fenceBasis.time, asOf.toISOString())
  assert.equal(outcome?.plan.header.guards.maxMissingShare, 0.7)
  assert.equal(outcome?.plan.header.store, `file://${root}`)

  const cases: Array<[string, RegExp]> = [
    ['maxOrphanShare = 2', /runs\[0\]\.maxOrphanShare: must be <= 1/],
    ['referencesAsOf = "yesterday"', /runs\[0\]\.referencesAsOf: must be a date-time/],
    ['referencesAsOf = 2026-01-31T12:00:00', /runs\[0\]\.referencesAsOf: must be a date-time .*local/],
    ['prefixMismatch = "maybe"', /runs\[0\]\.prefixMismatch: must be one of "error", "ignore", "delete"/],
    ['equalSchemes = { s3a = 1 }', /runs\[0\]\.equalSchemes\.s3a/]
  ]
  for (const [extra, message] of cases) {
    await writeFile(file, runConfig(root, refs, extra))
    const bad = await cli(['run', '--config', file])
    assert.equal(bad.code, 2, `${extra}: ${bad.stderr}`)
    assert.match(bad.stderr, message)
  }
})

test('keydiff run: a quarantine directory inside the store is excluded, so quarantined files are never planned again', async () => {
  const root = await makeStore(['data/live.bin', 'data/a.bin', 'data/b.bin', 'data/c.bin', 'data/d.bin'])
  const refs = await refsFile(['data/live.bin', 'data/d.bin'])
  const file = join(dir, 'trash.toml')
  await writeFile(file, runConfig(root, refs, `action = { type = "quarantine", directory = "${join(root, 'quarantine')}" }`))
  const first = await cli(['run', '--config', file, '--json'])
  assert.equal(first.code, 0, first.stderr)
  assert.deepEqual(await files(root), ['data/d.bin', 'data/live.bin', 'quarantine/data/a.bin', 'quarantine/data/b.bin', 'quarantine/data/c.bin'])
  const second = await cli(['run', '--config', file, '--json', '--dry-run'])
  assert.equal(second.code, 0, second.stderr)
  const [outcome] = JSON.parse(second.stdout) as Array<{ plan: { header: { counts: { planned: number, excluded: number }, exclude: string[] } } }>
  assert.deepEqual(outcome?.plan.header.exclude, ['quarantine/'])
  assert.equal(outcome?.plan.header.counts.excluded, 3)
  assert.equal(outcome?.plan.header.counts.planned, 0)
})
