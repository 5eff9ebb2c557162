import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { lockFile } from '@keydiff/core'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-sweep-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 3 * 86_400_000)
// the plausibility guards off, for tests of other behaviour whose stores are all orphans
const UNGUARDED = ['--allow-empty-references', '--max-missing-share', '1', '--max-orphan-share', '1']

async function files (root: string, prefix = ''): Promise<string[]> {
  const out: string[] = []
  for (const dirent of await readdir(join(root, prefix), { withFileTypes: true })) {
    if (prefix === '' && dirent.name === '.keydiff') continue
    const key = prefix === '' ? dirent.name : `${prefix}/${dirent.name}`
    if (dirent.isDirectory()) out.push(...await files(root, key))
    else out.push(key)
  }
  return out.sort()
}

async function makeStore (name: string, keys: Record<string, Date>): Promise<string> {
  const root = join(dir, name)
  for (const [key, time] of Object.entries(keys)) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'data')
    await utimes(path, time, time)
  }
  return root
}

test('keydiff plan prints the per-prefix table; apply quarantines; restore brings back', async () => {
  const root = await makeStore('store', { 'img/a.png': OLD, 'img/b.png': OLD, 'doc/c.pdf': OLD, 'doc/live.pdf': OLD, 'img/new.png': new Date(), 'x.lock': OLD })
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, 'doc/live.pdf\n')
  const planPath = join(dir, 'store.plan.jsonl')
  const planned = await cli(['plan', '--store', root, '--references', refs, '--out', planPath, '--protect', '*.lock'])
  assert.equal(planned.code, 0, planned.stderr)
  assert.match(planned.stdout, /doc\/\s+1\s+4 B/)
  assert.match(planned.stdout, /img\/\s+2\s+8 B/)
  assert.match(planned.stdout, /total\s+3\s+12 B/)
  assert.match(planned.stdout, /1 too young/)
  assert.match(planned.stdout, /1 protected/)
  assert.deepEqual(await files(root), ['doc/c.pdf', 'doc/live.pdf', 'img/a.png', 'img/b.png', 'img/new.png', 'x.lock'], 'a plan changes nothing')

  const applied = await cli(['apply', planPath, '--action', 'quarantine'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stdout, /3 done/)
  assert.deepEqual(await files(root), ['doc/live.pdf', 'img/new.png', 'x.lock'])
  assert.deepEqual(await files(join(root, '.keydiff', 'trash')), ['doc/c.pdf', 'img/a.png', 'img/b.png'])

  const again = await cli(['apply', planPath, '--action', 'quarantine', '--json'])
  assert.equal(again.code, 0)
  assert.equal((JSON.parse(again.stdout) as { skipped: number }).skipped, 3)

  const restored = await cli(['restore', planPath])
  assert.equal(restored.code, 0, restored.stderr)
  assert.deepEqual(await files(root), ['doc/c.pdf', 'doc/live.pdf', 'img/a.png', 'img/b.png', 'img/new.png', 'x.lock'])
})

test('keydiff apply: a held lock exits 1 naming the holder; --force takes over and says so', async () => {
  const root = await makeStore('locked', { 'k/1': OLD })
  const refs = join(dir, 'none.txt')
  await writeFile(refs, 'other\n')
  const planPath = join(dir, 'locked.plan.jsonl')
  assert.equal((await cli(['plan', '--store', root, '--references', refs, '--out', planPath, ...UNGUARDED])).code, 0)
  const held = await lockFile({ path: join(root, '.keydiff', 'lock') }).acquire({ owner: 'cron@db1' })
  const refused = await cli(['apply', planPath, '--action', 'delete'])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /cron@db1.*KEYDIFF_LOCK_HELD/)
  assert.deepEqual(await files(root), ['k/1'])
  const forced = await cli(['apply', planPath, '--action', 'delete', '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.match(forced.stdout, /took the lock over from cron@db1/)
  assert.deepEqual(await files(root), [])
  await held.release()
})

test('keydiff apply exits 3 when keys failed, and 1 on an edited plan', async () => {
  const root = await makeStore('partial', { 'p/1': OLD, 'p/2': OLD })
  const refs = join(dir, 'none2.txt')
  await writeFile(refs, 'other\n')
  const planPath = join(dir, 'partial.plan.jsonl')
  assert.equal((await cli(['plan', '--store', root, '--references', refs, '--out', planPath, ...UNGUARDED])).code, 0)
  await writeFile(join(root, 'p/2'), 'rewritten since the plan')
  const result = await cli(['apply', planPath, '--action', 'delete', '--retries', '0'])
  assert.equal(result.code, 3)
  assert.match(result.stdout, /failed: p\/2: changed since the plan: modified/)
  await writeFile(planPath, (await readFile(planPath, 'utf8')).replace('p/1', 'p/9'))
  const edited = await cli(['apply', planPath, '--action', 'delete'])
  assert.equal(edited.code, 1)
  assert.match(edited.stderr, /KEYDIFF_PLAN_CHECKSUM/)
})

test('usage errors exit 2: grace 0 without acknowledgement, no references, no action', async () => {
  const root = await makeStore('usage', { 'u/1': OLD })
  const refs = join(dir, 'none3.txt')
  await writeFile(refs, '\n')
  const planPath = join(dir, 'usage.plan.jsonl')
  const zero = await cli(['plan', '--store', root, '--references', refs, '--out', planPath, '--grace', '0', ...UNGUARDED])
  assert.equal(zero.code, 2)
  assert.match(zero.stderr, /--allow-zero-grace/)
  assert.doesNotMatch(zero.stderr, /acknowledgeZeroGrace/)
  assert.equal((await cli(['plan', '--store', root, '--references', refs, '--out', planPath, '--grace', '0', '--allow-zero-grace', ...UNGUARDED])).code, 0)
  assert.equal((await cli(['plan', '--store', root, '--out', planPath])).code, 2)
  assert.equal((await cli(['apply', planPath])).code, 2)
  assert.equal((await cli(['apply', planPath, '--action', 'shred'])).code, 2)
  assert.match((await cli(['plan', '--help'])).stdout, /--grace <duration>.*default: 24h/)
})

test('keydiff restore <quarantine-dir> --store brings every quarantined file back', async () => {
  const root = await makeStore('trash-store', { 'a/1.bin': OLD, 'a/2.bin': OLD, 'b/3.bin': OLD, 'keep.bin': OLD })
  const refs = join(dir, 'trash-refs.txt')
  await writeFile(refs, 'keep.bin\n')
  const planPath = join(dir, 'trash-store.plan.jsonl')
  const trash = join(dir, 'separate-trash')
  assert.equal((await cli(['plan', '--store', root, '--references', refs, '--out', planPath])).code, 0)
  assert.equal((await cli(['apply', planPath, '--action', 'quarantine', '--trash', trash])).code, 0)
  assert.deepEqual(await files(root), ['keep.bin'])
  const refused = await cli(['restore', trash])
  assert.equal(refused.code, 2, 'a directory needs --store')
  const restored = await cli(['restore', trash, '--store', root])
  assert.equal(restored.code, 0, restored.stderr)
  assert.match(restored.stdout, /restored 3 files/)
  assert.deepEqual(await files(root), ['a/1.bin', 'a/2.bin', 'b/3.bin', 'keep.bin'])
})
