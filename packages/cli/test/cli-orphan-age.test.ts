import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-orphan-age-')) })
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 200 * 3_600_000)
const KEYS = ['data/a.bin', 'data/b.bin', 'data/c.bin', 'data/d.bin']

async function files (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !join(entry.parentPath, entry.name).includes('/.keydiff/')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

test('keydiff run with minOrphanAge: the first run that finds an orphan deletes nothing; a run once the age is reached deletes it', async () => {
  const root = join(dir, 'store')
  for (const key of KEYS) {
    const path = join(root, key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, 'data')
    await utimes(path, OLD, OLD)
  }
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, KEYS.slice(1).map(key => `${key}\n`).join(''))
  const file = join(dir, 'keydiff.toml')
  const config = (age: string): string => `
[stores.local]
type = "directory"
path = "${root}"

[[runs]]
name = "blobs"
candidates = { store = "local" }
references = [{ file = "${refs}" }]
minOrphanAge = "${age}"
action = { type = "delete" }
`
  await writeFile(file, config('7d'))
  const first = await cli(['run', '--config', file])
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /1 orphaned for less than 1w/)
  assert.deepEqual(await files(root), KEYS, 'nothing deleted by the run that first saw the orphan')
  const second = await cli(['run', '--config', file])
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(await files(root), KEYS, 'seen orphaned moments ago is not seven days')

  // an age of zero is reached by the second run that sees the key orphaned, as it would be after 7d
  await writeFile(file, config('0s'))
  const third = await cli(['run', '--config', file])
  assert.equal(third.code, 0, third.stderr)
  assert.deepEqual(await files(root), KEYS.slice(1))

  await writeFile(file, config('a week'))
  const bad = await cli(['run', '--config', file])
  assert.equal(bad.code, 2, bad.stderr)
  assert.match(bad.stderr, /runs\[0\]\.minOrphanAge: must be a duration/)
})

test('keydiff plan --min-orphan-age needs --orphan-age-dir (exit 2)', async () => {
  const result = await cli(['plan', '--store', dir, '--references', join(dir, 'none.txt'), '--out', join(dir, 'p.jsonl'), '--min-orphan-age', '7d'])
  assert.equal(result.code, 2, result.stderr)
  assert.match(result.stderr, /--orphan-age-dir/)
})
