import assert from 'node:assert/strict'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { compareKeys } from '@keydiff/core'
import { directoryDriver, type OpenedStore } from '@keydiff/core/adapter'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-directory-split-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

let stores = 0
async function storeWith (keys: readonly string[]): Promise<OpenedStore> {
  const root = join(dir, `store-${++stores}`)
  await mkdir(root)
  for (const key of keys) {
    await mkdir(join(root, key, '..'), { recursive: true })
    await writeFile(join(root, key), key)
  }
  return directoryDriver.open({ type: 'directory', path: root }, { env: {}, baseDir: dir, workdir: dir })
}

async function pointsOf (store: OpenedStore, options: { count: number, prefix?: string, delimiter?: string }): Promise<string[]> {
  assert.ok(store.splitPoints !== undefined, 'a directory store discovers split points')
  return await store.splitPoints(options)
}

const NESTED = ['docs/a/1.md', 'docs/b/2.md', 'images/2023/x.jpg', 'images/2024/y.jpg', 'images/2024/deep/z.jpg', 'logs/l.log', 'top.txt']

test('split points are the directories, level after level, until there are count of them, in byte order', async () => {
  const store = await storeWith(NESTED)
  assert.deepEqual(await pointsOf(store, { count: 3 }), ['docs/', 'images/', 'logs/'])
  // three on the first level are not four: the second level is read too, the third not
  assert.deepEqual(await pointsOf(store, { count: 4 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'logs/'])
  assert.deepEqual(await pointsOf(store, { count: 100 }), ['docs/', 'docs/a/', 'docs/b/', 'images/', 'images/2023/', 'images/2024/', 'images/2024/deep/', 'logs/'])
})

test('byte order, not the order of the directory or of JavaScript strings', async () => {
  // '-' sorts before '/', so 'a-b/' before 'a/'; upper case before lower; U+E000 after U+1F600 in UTF-16, before it in UTF-8
  const store = await storeWith(['a/x', 'a-b/x', 'Zed/x', 'é/x', '\u{e000}/x', '\u{1f600}/x', 'a/b/x', 'a/B/x'])
  const points = await pointsOf(store, { count: 100 })
  assert.deepEqual(points, ['Zed/', 'a-b/', 'a/', 'a/B/', 'a/b/', 'é/', '\u{e000}/', '\u{1f600}/'])
  assert.deepEqual([...points].sort(compareKeys), points)
})

test('descent stops at four levels, however few points were found', async () => {
  const store = await storeWith(['1/2/3/4/5/6/file'])
  assert.deepEqual(await pointsOf(store, { count: 100 }), ['1/', '1/2/', '1/2/3/', '1/2/3/4/'])
})

test('a prefix keeps the points under it, whether it ends at a directory or inside a name', async () => {
  const store = await storeWith(NESTED)
  assert.deepEqual(await pointsOf(store, { count: 100, prefix: 'images/' }), ['images/2023/', 'images/2024/', 'images/2024/deep/'])
  assert.deepEqual(await pointsOf(store, { count: 1, prefix: 'images/2024' }), ['images/2024/'])
  assert.deepEqual(await pointsOf(store, { count: 1, prefix: 'im' }), ['images/'])
  assert.deepEqual(await pointsOf(store, { count: 100, prefix: 'nothing/here/' }), [])
})

test('an empty store, a flat one and keydiff\'s own work directory give no points', async () => {
  assert.deepEqual(await pointsOf(await storeWith([]), { count: 8 }), [])
  assert.deepEqual(await pointsOf(await storeWith(['a', 'b', 'c']), { count: 8 }), [])
  assert.deepEqual(await pointsOf(await storeWith(['.keydiff/lock', '.keydiff/runs/1/part', 'data/x', 'data/.keydiff/y']), { count: 8 }), ['data/'])
})

test('a missing root fails as its listing would; a count or delimiter it cannot use is a TypeError', async () => {
  const missing = directoryDriver.open({ type: 'directory', path: join(dir, 'no-such-store') }, { env: {}, baseDir: dir, workdir: dir })
  await assert.rejects(pointsOf(missing, { count: 4 }), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
  const store = await storeWith(NESTED)
  await assert.rejects(pointsOf(store, { count: 0 }), TypeError)
  await assert.rejects(pointsOf(store, { count: 4, delimiter: '-' }), TypeError)
  assert.deepEqual(await pointsOf(store, { count: 3, delimiter: '/' }), ['docs/', 'images/', 'logs/'])
})
