import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { KeydiffError, lockFile } from '@keydiff/core'
import { blobKey, main } from '../src/content-addressed-store.ts'

let root: string
let store: string
const quiet = (): void => {}
const hash = (i: number): string => createHash('sha1').update(`blob ${i}`).digest('hex')
const stored = (i: number): boolean => existsSync(join(store, blobKey(hash(i))))

async function putBlob (i: number, ageMs: number): Promise<void> {
  const path = join(store, blobKey(hash(i)))
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `blob number ${i}`)
  const when = new Date(Date.now() - ageMs)
  await utimes(path, when, when)
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'keydiff-example-cas-'))
  store = join(root, 'store')
})
after(async () => { await rm(root, { recursive: true, force: true }) })

test('job 1: unused blobs older than the index are deleted under the lock; a held lock refuses the run until force', async () => {
  const twoDays = 2 * 24 * 3600_000
  for (let i = 0; i < 300; i++) await putBlob(i, twoDays)
  await putBlob(300, 0) // written after the index's scan started: kept though unused
  const repos = [join(root, 'app.txt'), join(root, 'docs.txt'), join(root, 'empty.txt')]
  await writeFile(repos[0] as string, Array.from({ length: 150 }, (_, i) => hash(i)).join('\n'))
  await writeFile(repos[1] as string, Array.from({ length: 100 }, (_, i) => hash(i + 150)).join('\n') + '\n')
  await writeFile(repos[2] as string, '')

  const other = await lockFile({ path: join(store, '.keydiff', 'lock') }).acquire({ owner: 'nightly-sweep@other-host' })
  await assert.rejects(main({ store, repos, log: quiet }), (error: unknown) => error instanceof KeydiffError && error.code === 'KEYDIFF_LOCK_HELD' && /nightly-sweep@other-host/.test(error.message))
  assert.ok(stored(260), 'a refused run deletes nothing')

  const result = await main({ store, repos, force: true, log: quiet })
  assert.equal(result.takenOver?.owner, 'nightly-sweep@other-host')
  assert.equal(result.summary.header.counts.planned, 50)
  assert.equal(result.summary.header.counts.tooYoung, 1)
  assert.equal(result.applied?.done, 50)
  assert.equal(result.applied?.failed, 0)
  for (let i = 0; i < 250; i++) assert.ok(stored(i), `blob ${i} is used by a repository and must stay`)
  for (let i = 250; i < 300; i++) assert.ok(!stored(i), `blob ${i} is unused and old: deleted`)
  assert.ok(stored(300), 'the blob newer than the index stays')
  assert.ok(result.indexKept)
  // The displaced holder's release must not free the lock of whoever holds it now.
  await other.release()
})

test('job 1: the kept index is reused for a later sweep, then dropped', async () => {
  for (const i of [400, 401]) await putBlob(i, 3 * 24 * 3600_000)
  // The repositories' files are not read again: the index answers from its own copy.
  const result = await main({ store, repos: [], reuseIndex: true, keepIndex: false, log: quiet })
  assert.equal(result.summary.header.counts.planned, 2)
  assert.equal(result.applied?.done, 2)
  assert.ok(!stored(400) && !stored(401))
  assert.ok(stored(0) && stored(249) && stored(300))
  assert.equal(result.indexKept, false)
  assert.ok(!existsSync(join(store, '.keydiff', 'index')))
})

test('job 1: a dry run plans and deletes nothing', async () => {
  await putBlob(500, 3 * 24 * 3600_000)
  const repos = [join(root, 'app.txt')]
  const result = await main({ store, repos, dryRun: true, log: quiet })
  assert.equal(result.applied, undefined)
  assert.ok(result.summary.header.counts.planned >= 1)
  assert.ok(stored(500))
})
