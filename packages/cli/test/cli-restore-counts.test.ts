import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-restore-counts-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

const OLD = new Date(Date.now() - 3 * 86_400_000)
const ORPHANS = ['a/1.bin', 'a/2.bin', 'a/3.bin', 'b/4.bin']

async function stored (root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true })
  return entries.filter(entry => entry.isFile() && !entry.parentPath.includes('.keydiff')).map(entry => join(entry.parentPath, entry.name).slice(root.length + 1)).sort()
}

test('keydiff restore counts what it restored and failed, and names why it left the other keys', async () => {
  const root = join(dir, 'store')
  for (const key of [...ORPHANS, 'live.bin']) {
    await mkdir(dirname(join(root, key)), { recursive: true })
    await writeFile(join(root, key), 'data')
    await utimes(join(root, key), OLD, OLD)
  }
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, 'live.bin\n')
  const planPath = join(dir, 'store.plan.jsonl')
  const planned = await cli(['plan', '--store', root, '--references', refs, '--out', planPath, '--max-orphan-share', '1'])
  assert.equal(planned.code, 0, planned.stderr)

  // before any apply: nothing was quarantined, so nothing is restored, and nothing is "skipped"
  const early = await cli(['restore', planPath])
  assert.equal(early.code, 0, early.stderr)
  assert.match(early.stdout, /^restored 0 of 4 planned keys \(0 B\) from .*, 0 failed$/m)
  assert.match(early.stdout, /^not acted on: 4 never quarantined by this plan$/m)
  assert.doesNotMatch(early.stdout, /skipped|done before/)

  // an apply that quarantines three keys; a file in the way in the trash fails the fourth
  const trash = join(dir, 'trash')
  await mkdir(trash, { recursive: true })
  await writeFile(join(trash, 'b'), 'in the way')
  const applied = await cli(['apply', planPath, '--action', 'quarantine', '--trash', trash, '--retries', '0'])
  assert.equal(applied.code, 3, applied.stdout + applied.stderr)
  assert.deepEqual(await stored(root), ['b/4.bin', 'live.bin'])

  const restored = await cli(['restore', planPath])
  assert.equal(restored.code, 0, restored.stderr)
  assert.match(restored.stdout, new RegExp(`^restored 3 of 4 planned keys \\(12 B\\) from ${trash}, 0 failed$`, 'm'))
  assert.match(restored.stdout, /^not acted on: 1 never quarantined by this plan$/m)
  assert.doesNotMatch(restored.stdout, /skipped|done before|dropped/)
  assert.deepEqual(await stored(root), [...ORPHANS, 'live.bin'])

  const again = await cli(['restore', planPath])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /^restored 0 of 4 planned keys \(0 B\) from .*, 0 failed$/m)
  assert.match(again.stdout, /^not acted on: 1 never quarantined by this plan, 3 restored before$/m)

  // the JSON keeps its fields and adds the split of skipped
  const json = JSON.parse((await cli(['restore', planPath, '--json'])).stdout) as { done: number, skipped: number, notQuarantined: number, restoredBefore: number }
  assert.deepEqual({ done: json.done, skipped: json.skipped, notQuarantined: json.notQuarantined, restoredBefore: json.restoredBefore }, { done: 0, skipped: 4, notQuarantined: 1, restoredBefore: 3 })
})
