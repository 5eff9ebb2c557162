import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-binding-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 3 * 86_400_000)
const ORPHANS = ['o/1', 'o/2', 'o/3']
const LIVE = ['live/1', 'live/2', 'live/3']

/** A store of three orphans and three referenced files, and the file of references. */
async function makeStore (name: string): Promise<{ root: string, refs: string }> {
  const root = join(dir, name)
  for (const key of [...ORPHANS, ...LIVE]) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'data')
    await utimes(path, OLD, OLD)
  }
  const refs = join(dir, `${name}.refs.txt`)
  await writeFile(refs, LIVE.join('\n') + '\n')
  return { root, refs }
}

/** Every entry under a directory, its work directory included: proof that nothing was touched. */
async function everything (root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort()
}

async function planOf (root: string, refs: string, name: string): Promise<string> {
  const planPath = join(dir, `${name}.plan.jsonl`)
  const planned = await cli(['plan', '--store', root, '--references', refs, '--out', planPath])
  assert.equal(planned.code, 0, planned.stderr)
  return planPath
}

test('keydiff apply <plan for A> --store B is refused, and nothing is touched in A or B; --store A may repeat it', async () => {
  const a = await makeStore('cross-a')
  const b = await makeStore('cross-b')
  const planPath = await planOf(a.root, a.refs, 'cross')
  const beforeA = await everything(a.root)
  const beforeB = await everything(b.root)
  for (const action of ['delete', 'quarantine']) {
    const refused = await cli(['apply', planPath, '--action', action, '--store', b.root])
    assert.equal(refused.code, 1, refused.stdout)
    assert.match(refused.stderr, /KEYDIFF_PLAN_STORE/)
    assert.ok(refused.stderr.includes(a.root) && refused.stderr.includes(b.root), refused.stderr)
  }
  const restore = await cli(['restore', planPath, '--store', b.root])
  assert.equal(restore.code, 1)
  assert.match(restore.stderr, /KEYDIFF_PLAN_STORE/)
  assert.deepEqual(await everything(a.root), beforeA)
  assert.deepEqual(await everything(b.root), beforeB, 'not even a lock file in B')

  const same = await cli(['apply', planPath, '--action', 'delete', '--store', a.root])
  assert.equal(same.code, 0, same.stderr)
  assert.deepEqual((await everything(a.root)).filter(name => name.startsWith('o/')), [])
  assert.deepEqual(await everything(b.root), beforeB)
})

test('keydiff apply refuses a plan whose header was edited to name another store, and touches neither', async () => {
  const a = await makeStore('edit-a')
  const b = await makeStore('edit-b')
  const planPath = await planOf(a.root, a.refs, 'edit')
  const text = await readFile(planPath, 'utf8')
  const newline = text.indexOf('\n')
  const header = JSON.parse(text.slice(0, newline)) as { store: string }
  header.store = `file://${b.root}`
  await writeFile(planPath, JSON.stringify(header) + text.slice(newline))
  const beforeA = await everything(a.root)
  const beforeB = await everything(b.root)
  for (const args of [[], ['--store', b.root], ['--store', a.root]]) {
    const refused = await cli(['apply', planPath, '--action', 'delete', ...args])
    assert.equal(refused.code, 1)
    assert.match(refused.stderr, /KEYDIFF_PLAN_CHECKSUM/)
  }
  assert.deepEqual(await everything(a.root), beforeA)
  assert.deepEqual(await everything(b.root), beforeB)
})

test('a plan made from a listing names no store: apply --store needs --allow-unbound-plan', async () => {
  const { root, refs } = await makeStore('unbound')
  const listing = join(dir, 'listing.jsonl')
  await writeFile(listing, [...ORPHANS, ...LIVE].map(key => JSON.stringify({ key, size: 4, lastModified: OLD.toISOString() })).join('\n') + '\n')
  const planPath = join(dir, 'unbound.plan.jsonl')
  assert.equal((await cli(['plan', '--candidates', listing, '--references', refs, '--out', planPath])).code, 0)
  const before = await everything(root)
  const refused = await cli(['apply', planPath, '--action', 'delete', '--store', root])
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /--allow-unbound-plan.*KEYDIFF_PLAN_STORE/)
  assert.deepEqual(await everything(root), before)
  const applied = await cli(['apply', planPath, '--action', 'delete', '--store', root, '--allow-unbound-plan'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.deepEqual((await everything(root)).filter(name => name.startsWith('o/')), [])
})

test('the audit log\'s end record carries the plan\'s id, as every other record does', async () => {
  const { root, refs } = await makeStore('audit')
  const planPath = await planOf(root, refs, 'audit')
  const applied = await cli(['apply', planPath, '--action', 'delete', '--json'])
  assert.equal(applied.code, 0, applied.stderr)
  const result = JSON.parse(applied.stdout) as { planId: string, audit: string }
  const header = JSON.parse((await readFile(planPath, 'utf8')).split('\n')[0] as string) as { checksum: string }
  assert.equal(result.planId, header.checksum)
  const records = (await readFile(result.audit, 'utf8')).split('\n').filter(Boolean).map(line => JSON.parse(line) as { event: string, plan: string, planPath?: string })
  assert.deepEqual([...new Set(records.map(record => record.plan))], [header.checksum])
  const end = records.find(record => record.event === 'end')
  assert.equal(end?.plan, header.checksum)
  assert.equal(end?.planPath, planPath)
})

test('keydiff restore <plan> after a keydiff run that quarantined into a directory finds the files without --trash', async () => {
  const { root, refs } = await makeStore('run')
  const config = join(dir, 'run.toml')
  await writeFile(config, `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "quarantine"
candidates = { store = "local" }
references = [ { file = "${refs}" } ]
action = { type = "quarantine", directory = "run-trash" }
`)
  const ran = await cli(['run', '--config', config, '--json'])
  assert.equal(ran.code, 0, ran.stderr)
  const [outcome] = JSON.parse(ran.stdout) as Array<{ plan: { path: string }, applied: { done: number } }>
  assert.equal(outcome?.applied.done, 3)
  const trash = join(dir, 'run-trash')
  assert.deepEqual((await readdir(trash, { recursive: true })).filter(name => name.startsWith('o/')).sort(), ORPHANS)
  assert.deepEqual((await everything(root)).filter(name => name.startsWith('o/')), [])

  const restored = await cli(['restore', (outcome as { plan: { path: string } }).plan.path, '--json'])
  assert.equal(restored.code, 0, restored.stderr)
  const result = JSON.parse(restored.stdout) as { done: number, failed: number }
  assert.equal(result.done, 3)
  assert.equal(result.failed, 0)
  assert.deepEqual((await everything(root)).filter(name => name.startsWith('o/')).sort(), ORPHANS)
})
