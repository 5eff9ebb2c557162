import assert from 'node:assert/strict'
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { lockFile } from '@keydiff/core'
import { runMain as cli } from './run-cli.ts'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-cli-lease-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

test('keydiff apply takes a lock whose holder\'s lease ran out without --force, and says whose and when it ran out', async () => {
  const root = join(dir, 'store')
  await mkdir(join(root, 'k'), { recursive: true })
  await writeFile(join(root, 'k', '1'), 'data')
  const old = new Date(Date.now() - 3 * 86_400_000)
  await utimes(join(root, 'k', '1'), old, old)
  const refs = join(dir, 'refs.txt')
  await writeFile(refs, 'other\n')
  const planPath = join(dir, 'store.plan.jsonl')
  const planned = await cli(['plan', '--store', root, '--references', refs, '--out', planPath, '--allow-empty-references', '--max-missing-share', '1', '--max-orphan-share', '1'])
  assert.equal(planned.code, 0, planned.stderr)
  // A holder that died: its lease is not renewed and runs out.
  const dead = await lockFile({ path: join(root, '.keydiff', 'lock') }).acquire({ owner: 'cron@db1', ttl: 50, renew: false })
  await sleep(100)
  const applied = await cli(['apply', planPath, '--action', 'delete'])
  assert.equal(applied.code, 0, applied.stderr)
  assert.match(applied.stdout, new RegExp(`took the lock over from cron@db1 .*its lease had run out at ${dead.info.expiresAt ?? '?'}`))
  assert.deepEqual((await readdir(root)).filter(name => name !== '.keydiff'), [], 'the orphan was deleted')
  await dead.release()
})
