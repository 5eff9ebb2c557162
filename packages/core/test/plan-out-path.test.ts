import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryDeleteSink, directorySource, plan } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { OLD, UNGUARDED } from './sweep-helpers.ts'

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-plan-out-')) })
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

const planTo = async (out: string) => await plan({
  candidates: keySource([[{ key: 'a', size: 1, lastModified: OLD }]], { name: 'listing' }),
  references: keySource([[]], { name: 'refs' }),
  out,
  ...UNGUARDED
})

test('a plan is never renamed over a symlink, a pipe or a directory (the device, link or its target stays)', async () => {
  const target = join(dir, 'precious.txt')
  await writeFile(target, 'keep me')
  const link = join(dir, 'plan-link.jsonl')
  await symlink(target, link)
  await assert.rejects(planTo(link), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.ok((await lstat(link)).isSymbolicLink(), 'the link is still a link')
  assert.equal(await readFile(target, 'utf8'), 'keep me')

  const fifo = join(dir, 'plan.fifo')
  execFileSync('mkfifo', [fifo])
  await assert.rejects(planTo(fifo), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.ok((await lstat(fifo)).isFIFO(), 'the pipe is still a pipe')

  const directory = join(dir, 'plan-dir')
  await mkdir(directory)
  await assert.rejects(planTo(directory), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('an audit log that is not a regular file is refused before anything is acted on', async () => {
  const root = join(dir, 'store')
  await mkdir(root)
  await writeFile(join(root, 'orphan.bin'), 'x')
  const summary = await plan({ candidates: directorySource({ root }), references: keySource([[]], { name: 'refs' }), out: join(dir, 'p.jsonl'), grace: 0, acknowledgeZeroGrace: true, ...UNGUARDED })
  const fifo = join(dir, 'audit.fifo')
  execFileSync('mkfifo', [fifo])
  await assert.rejects(apply(summary.path, directoryDeleteSink({ root }), { lock: null, audit: fifo }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.equal(await readFile(join(root, 'orphan.bin'), 'utf8'), 'x')
})

test('a plan made from an adapter\'s listing binds the location the listing names itself by; any other name binds nothing', async () => {
  const listed = async (name: string) => (await plan({
    candidates: keySource([[{ key: 'p/a', size: 1, lastModified: OLD }]], { name }),
    references: keySource([[]], { name: 'refs' }),
    out: join(dir, 'named.jsonl'),
    ...UNGUARDED
  })).header.store
  assert.equal(await listed('s3://bucket/p/'), 's3://bucket/p/')
  assert.equal(await listed('gs://bucket/'), 'gs://bucket/')
  assert.equal(await listed('minio://bucket/p/'), 'minio://bucket/p/')
  assert.equal(await listed('inventory:s3://bucket/manifest.json'), null)
})
