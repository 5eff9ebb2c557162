import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryQuarantineSink, directorySource, plan } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { filesUnder, OLD, UNGUARDED } from './sweep-helpers.ts'

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-trash-inside-')) })
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

let stores = 0
async function storeWithOrphan (): Promise<string> {
  const root = join(dir, `store-${++stores}`)
  await mkdir(join(root, 'data'), { recursive: true })
  for (const name of ['data/live.bin', 'data/orphan.bin']) {
    await writeFile(join(root, name), name)
    await utimes(join(root, name), OLD, OLD)
  }
  return root
}

const planOf = async (root: string, exclude: string[] = []) => await plan({
  candidates: directorySource({ root }),
  references: keySource([[{ key: 'data/live.bin' }]], { name: 'refs' }),
  out: join(root, '..', `plan-${stores}.jsonl`),
  exclude,
  ...UNGUARDED
})

test('a quarantine into a trash the plan could list is refused before anything moves', async () => {
  const root = await storeWithOrphan()
  const summary = await planOf(root)
  await assert.rejects(apply(summary.path, directoryQuarantineSink({ root, trash: join(root, 'trash') }), { lock: null }), { code: 'KEYDIFF_INVALID_OPTION' })
  assert.deepEqual(await filesUnder(root), ['data/live.bin', 'data/orphan.bin'])
})

test('a trash inside the store is accepted when the plan excluded it, is hidden, or is keydiff\'s own', async () => {
  for (const [trash, exclude] of [['trash', ['trash/']], ['_trash', []], ['.keydiff/bin', []]] as const) {
    const root = await storeWithOrphan()
    const summary = await planOf(root, [...exclude])
    const result = await apply(summary.path, directoryQuarantineSink({ root, trash: join(root, trash) }), { lock: null })
    assert.equal(result.done, 1, trash)
    assert.deepEqual((await filesUnder(root)).filter(key => key.startsWith('data/')), ['data/live.bin'], trash)
  }
})

test('a trash outside the store is accepted', async () => {
  const root = await storeWithOrphan()
  const summary = await planOf(root)
  const result = await apply(summary.path, directoryQuarantineSink({ root, trash: join(dir, 'elsewhere') }), { lock: null })
  assert.equal(result.done, 1)
})
