import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { readPlan } from '@keydiff/core'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-plan-quiet-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('keydiff plan --quiet prints no table, and still writes the plan', async () => {
  const root = join(dir, 'store')
  await mkdir(join(root, 'img'), { recursive: true })
  const old = new Date(Date.now() - 3 * 86_400_000)
  for (const key of ['img/a.png', 'img/b.png', 'img/live.png']) {
    await writeFile(join(root, key), 'data')
    await utimes(join(root, key), old, old)
  }
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, 'img/live.png\n')
  const args = ['plan', '--store', root, '--references', refs, '--max-orphan-share', '1']

  const loud = await cli([...args, '--out', join(dir, 'loud.plan.jsonl')])
  assert.equal(loud.code, 0, loud.stderr)
  assert.match(loud.stdout, /total\s+2\s+8 B/, 'without --quiet the table is printed')

  const planPath = join(dir, 'quiet.plan.jsonl')
  const quiet = await cli([...args, '--out', planPath, '--quiet'])
  assert.equal(quiet.code, 0, quiet.stderr)
  assert.equal(quiet.stdout, '')
  assert.equal(quiet.stderr, '')
  const written = await readPlan(planPath)
  assert.equal(written.header.counts.planned, 2)
  assert.match(await readFile(planPath, 'utf8'), /img\/a\.png/)

  const json = await cli([...args, '--out', join(dir, 'json.plan.jsonl'), '--quiet', '--json'])
  assert.equal(json.code, 0, json.stderr)
  assert.equal((JSON.parse(json.stdout) as { header: { counts: { planned: number } } }).header.counts.planned, 2, '--json still prints for programs')
})

test('keydiff plan --help lists --quiet', async () => {
  const help = await cli(['plan', '--help'])
  assert.match(help.stdout, /--quiet\s+no progress and no summary table/)
})
