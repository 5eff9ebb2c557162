import assert from 'node:assert/strict'
import { mkdir, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { directoryDeleteSink, directoryQuarantineSink, directorySource, type KeySource } from '@keydiff/core'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('store') })
after(async () => { await dir.remove() })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out
}

test('directorySource lists in byte order of the whole key, skips .keydiff, and filters by prefix', async () => {
  const root = join(dir.path, 'order')
  await writeEntries(root, ['a/b', 'a-c', 'a.d', 'b', 'blobs/ab/1', 'blobs/ac/2', 'blobs/b/3', '.keydiff/trash/x', '.hidden'].map(key => ({ key })))
  assert.deepEqual(await keys(directorySource({ root })), ['.hidden', 'a-c', 'a.d', 'a/b', 'b', 'blobs/ab/1', 'blobs/ac/2', 'blobs/b/3'])
  assert.deepEqual(await keys(directorySource({ root, prefix: 'blobs/a' })), ['blobs/ab/1', 'blobs/ac/2'])
  assert.deepEqual(await keys(directorySource({ root, prefix: 'nothing/here' })), [])
})

test('directorySource: a missing directory is KEYDIFF_SOURCE_NOT_FOUND, naming it', async () => {
  const missing = join(dir.path, 'no-such-store')
  await assert.rejects(keys(directorySource({ root: missing })), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_SOURCE_NOT_FOUND')
    assert.ok(error.message.includes(missing))
    return true
  })
})

test('sinks refuse keys that would leave the store, and never touch files outside it', async () => {
  const root = join(dir.path, 'escape', 'store')
  await writeEntries(root, [{ key: 'in' }])
  await writeFile(join(dir.path, 'escape', 'outside'), 'precious')
  for (const sink of [directoryDeleteSink({ root }), directoryQuarantineSink({ root })]) {
    const outcomes = await sink.apply([{ key: '../outside' }, { key: '/etc/passwd' }, { key: 'a//b' }, { key: '.keydiff/lock' }, { key: '' }])
    assert.ok(outcomes.every(outcome => !outcome.ok && outcome.retryable === false && outcome.error !== undefined), sink.name)
  }
  assert.deepEqual(await filesUnder(join(dir.path, 'escape')), ['outside', 'store/in'])
})

test('a file rewritten since the plan is left alone and reported', async () => {
  const root = join(dir.path, 'changed')
  await writeEntries(root, [{ key: 'k/1', size: 4, lastModified: OLD }, { key: 'k/2', size: 4, lastModified: OLD }, { key: 'k/3', size: 4, lastModified: OLD }])
  await utimes(join(root, 'k/1'), new Date(), new Date())
  await writeFile(join(root, 'k/2'), 'longer content')
  await utimes(join(root, 'k/2'), OLD, OLD)
  const planned = ['k/1', 'k/2', 'k/3'].map(key => ({ key, size: 4, lastModified: OLD }))
  const outcomes = await directoryDeleteSink({ root }).apply(planned)
  assert.deepEqual(outcomes.map(outcome => [outcome.key, outcome.ok]), [['k/1', false], ['k/2', false], ['k/3', true]])
  assert.match(outcomes[0]?.error ?? '', /changed since the plan: modified/)
  assert.match(outcomes[1]?.error ?? '', /size changed/)
  assert.deepEqual(await filesUnder(root), ['k/1', 'k/2'])
})

test('quarantine never overwrites: a copy already in the trash, or a new file where one is restored', async () => {
  const root = join(dir.path, 'clobber')
  const trash = join(dir.path, 'clobber-trash')
  await writeEntries(root, [{ key: 'q/1' }])
  await writeEntries(trash, [{ key: 'q/1', size: 9 }])
  const sink = directoryQuarantineSink({ root, trash })
  const [moved] = await sink.apply([{ key: 'q/1' }])
  assert.equal(moved?.ok, false)
  assert.match(moved?.error ?? '', /already exists/)
  assert.deepEqual(await filesUnder(root), ['q/1'])
  const [restored] = await sink.restore([{ key: 'q/1' }])
  assert.equal(restored?.ok, false)
  assert.match(restored?.error ?? '', /in the way/)
  const [unknown] = await sink.restore([{ key: 'never/there' }])
  assert.equal(unknown?.ok, false)
})

test('deleting the last file of a directory removes the emptied directories, not the root', async () => {
  const root = join(dir.path, 'prune')
  await writeEntries(root, [{ key: 'deep/er/still/f' }, { key: 'deep/g' }])
  await mkdir(join(root, 'empty-before'))
  await directoryDeleteSink({ root }).apply([{ key: 'deep/er/still/f' }])
  assert.deepEqual(await filesUnder(root), ['deep/g'])
  await directoryDeleteSink({ root }).apply([{ key: 'deep/g' }])
  assert.deepEqual(await filesUnder(root), [])
  assert.deepEqual(await keys(directorySource({ root })), [])
})
