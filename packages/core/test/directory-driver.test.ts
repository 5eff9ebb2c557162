import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { arraySource, compareKeys, LockHeldError, type KeySource } from '@keydiff/core'
import { directoryDriver, withinRange } from '@keydiff/core/adapter'

let dir: string
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-directory-driver-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

async function storeWith (name: string, keys: readonly string[]): Promise<string> {
  const root = join(dir, name)
  for (const key of keys) {
    await mkdir(join(root, key, '..'), { recursive: true })
    await writeFile(join(root, key), key)
  }
  return root
}

test('withinRange keeps exactly the keys in (after, upTo], in order', async () => {
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 60 }),
    fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
    fc.option(fc.string({ maxLength: 4 }), { nil: undefined }),
    fc.integer({ min: 1, max: 7 }),
    async (keys, a, b, batchSize) => {
      const sorted = [...keys].sort(compareKeys)
      const [after, upTo] = a !== undefined && b !== undefined && compareKeys(a, b) > 0 ? [b, a] : [a, b]
      if (after !== undefined && after === upTo) return
      const expected = sorted.filter(key => (after === undefined || compareKeys(key, after) > 0) && (upTo === undefined || compareKeys(key, upTo) <= 0))
      assert.deepEqual(await keysOf(withinRange(arraySource(sorted, { sorted: true, batchSize }), { after, upTo })), expected)
      // an unsorted source is filtered, never cut short
      assert.deepEqual((await keysOf(withinRange(arraySource([...sorted].reverse(), { batchSize }), { after, upTo }))).sort(compareKeys), expected)
    }
  ))
})

test('withinRange stops reading a sorted source at its first batch past the range', async () => {
  let pulled = 0
  const source: KeySource = {
    name: 'counted',
    sorted: true,
    async * [Symbol.asyncIterator] () {
      for (let i = 0; i < 100; i++) {
        pulled++
        yield [{ key: `k${String(i).padStart(3, '0')}` }]
      }
    }
  }
  assert.deepEqual(await keysOf(withinRange(source, { after: 'k004', upTo: 'k006' })), ['k005', 'k006'])
  assert.equal(pulled, 8)
  assert.throws(() => withinRange(source, { after: 'b', upTo: 'a' }), TypeError)
})

test('the directory driver lists a range, deletes, quarantines and restores, and locks the store', async () => {
  const keys = ['a/1', 'a/2', 'b/1', 'b/2', 'c']
  const root = await storeWith('store', keys)
  const store = directoryDriver.open({ type: 'directory', path: 'store' }, { env: {}, baseDir: dir, workdir: join(dir, 'work') })
  assert.equal(store.location(), `dir:${root}`)
  assert.deepEqual(await keysOf(store.candidates()), keys)
  assert.deepEqual(await keysOf(store.candidates({ prefix: 'b/' })), ['b/1', 'b/2'])
  assert.deepEqual(await keysOf(store.candidates({ range: { after: 'a/2', upTo: 'b/2' } })), ['b/1', 'b/2'])

  const quarantine = store.sink({ type: 'quarantine', directory: 'trash' })
  assert.equal(store.trash?.({ type: 'quarantine', directory: 'trash' }), `file://${join(dir, 'trash')}`)
  assert.ok((await quarantine.apply([{ key: 'a/1' }])).every(outcome => outcome.ok))
  assert.deepEqual(await readdir(join(dir, 'trash', 'a')), ['1'])
  const restorer = store.restorer?.(`file://${join(dir, 'trash')}`)
  assert.ok((await restorer?.restore([{ key: 'a/1' }]))?.every(outcome => outcome.ok))
  assert.ok((await store.sink({ type: 'delete' }).apply([{ key: 'c' }])).every(outcome => outcome.ok))
  assert.deepEqual(await keysOf(store.candidates()), ['a/1', 'a/2', 'b/1', 'b/2'])
  assert.throws(() => store.sink({ type: 'tag' }), TypeError)

  await store.probe({ type: 'delete' })
  assert.deepEqual(await readdir(root).then(names => names.includes('.keydiff')), false, 'the probe leaves no .keydiff behind')
  const lease = await store.lock().acquire()
  await assert.rejects(store.lock().acquire(), LockHeldError)
  await lease.release()
})

test('a directory section opens from a plan\'s location', () => {
  assert.deepEqual(directoryDriver.sectionOf?.({ authority: '', path: '/data' }), { type: 'directory', path: '/data' })
})
