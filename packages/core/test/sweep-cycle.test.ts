import assert from 'node:assert/strict'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import {
  apply, arraySource, AuditLog, directoryDeleteSink, directoryQuarantineSink, directorySource, formatPlanSummary,
  lockFile, plan, readPlan, restore
} from '@keydiff/core'
import { makeUnremovable, tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD, planKeys, recording, setLookup, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('sweep') })
after(async () => { await dir.remove() })

let counter = 0
async function store (files: Record<string, Date>): Promise<string> {
  const root = join(dir.path, `store-${++counter}`)
  await writeEntries(root, Object.entries(files).map(([key, lastModified]) => ({ key, size: key.length, lastModified })))
  return root
}

const fast = { retryDelay: 1, maxRetryDelay: 5 }

test('plan → apply with an injected failure → resume → restore, on a real directory', async () => {
  const root = await store({
    'blobs/aa/1': OLD, 'blobs/aa/2': OLD, 'blobs/bb/3': OLD, 'blobs/bb/4': OLD, 'docs/keep.txt': OLD, 'top.bin': OLD
  })
  const before = await stat(join(root, 'blobs/aa/2'))
  const out = join(root, '..', 'cycle.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: arraySource(['docs/keep.txt']), out })
  assert.deepEqual(await planKeys(out), ['blobs/aa/1', 'blobs/aa/2', 'blobs/bb/3', 'blobs/bb/4', 'top.bin'])
  assert.equal(summary.header.counts.planned, 5)
  assert.equal(summary.header.counts.orphans, 5)
  assert.deepEqual(summary.prefixes.map(p => [p.prefix, p.count, p.bytes]), [['', 1, 7], ['blobs/', 4, 40]])
  assert.match(formatPlanSummary(summary), /blobs\/\s+4\s+40 B/)

  const lock = lockFile({ path: join(root, '.keydiff', 'lock') })
  const sink = recording(directoryQuarantineSink({ root }))
  const undo = await makeUnremovable(root, ['blobs/bb/3'])
  const first = await apply(out, sink, { lock, ...fast, retries: 2 })
  await undo()
  assert.equal(first.done, 4)
  assert.equal(first.failed, 1)
  assert.equal(first.failures[0]?.key, 'blobs/bb/3')
  assert.match(first.failures[0]?.error ?? '', /EPERM|EACCES/)
  assert.deepEqual(await filesUnder(root), ['blobs/bb/3', 'docs/keep.txt'])

  const second = await apply(out, sink, { lock, ...fast })
  assert.equal(second.skipped, 4, 'the audit log says four keys are done')
  assert.equal(second.done, 1)
  assert.equal(second.failed, 0)
  assert.deepEqual(sink.calls.at(-1), ['blobs/bb/3'], 'the resumed run acts only on the failed key')
  assert.deepEqual(await filesUnder(root), ['docs/keep.txt'])

  const third = await apply(out, sink, { lock, ...fast })
  assert.equal(third.done, 0)
  assert.equal(third.skipped, 5)

  const back = await restore(out, directoryQuarantineSink({ root }), { lock, ...fast })
  assert.equal(back.done, 5)
  assert.deepEqual(await filesUnder(root), ['blobs/aa/1', 'blobs/aa/2', 'blobs/bb/3', 'blobs/bb/4', 'docs/keep.txt', 'top.bin'])
  const after = await stat(join(root, 'blobs/aa/2'))
  assert.equal(after.mtimeMs, before.mtimeMs, 'a restored file keeps its modification time')
  assert.equal(await readFile(join(root, 'blobs/aa/2'), 'utf8'), 'x'.repeat(10))

  const log = (await readFile(first.audit, 'utf8')).split('\n').filter(Boolean).map(line => JSON.parse(line) as { event: string, key?: string })
  assert.deepEqual(log.filter(r => r.event === 'failed').map(r => r.key), ['blobs/bb/3'])
  assert.equal(log.filter(r => r.event === 'done').length, 5)
  assert.equal(log.filter(r => r.event === 'restored').length, 5)
})

test('objects newer than the fence, protected keys and undated candidates survive', async () => {
  const root = await store({
    'old/a': OLD,
    'new/b': new Date(),
    'hour/c': new Date(Date.now() - 3_600_000),
    'keep/x.lock': OLD,
    'manifests/m.json': OLD
  })
  const out = join(root, '..', 'fence.plan.jsonl')
  const summary = await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out, protect: ['**/*.lock', 'manifests/**'] })
  assert.deepEqual(await planKeys(out), ['old/a'])
  assert.equal(summary.header.counts.tooYoung, 2)
  assert.equal(summary.header.counts.protected, 2)
  assert.equal(summary.header.graceMs, 86_400_000)
  assert.ok(Date.parse(summary.header.fence) <= Date.parse(summary.header.referenceScanStartedAt) - 86_400_000)

  const shorter = await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out, grace: '30m', protect: ['**/*.lock', 'manifests/**'] })
  assert.deepEqual(await planKeys(out), ['hour/c', 'old/a'])
  assert.equal(shorter.header.counts.tooYoung, 1)

  await assert.rejects(plan({ candidates: directorySource({ root }), references: arraySource([]), out, grace: 0 }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(plan({ candidates: directorySource({ root }), references: arraySource([]), out, grace: '24' }), { code: 'KEYDIFF_INVALID_OPTION' })
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out, grace: 0, acknowledgeZeroGrace: true, protect: ['**/*.lock', 'manifests/**'] })
  assert.deepEqual(await planKeys(out), ['hour/c', 'new/b', 'old/a'])

  await apply(out, directoryDeleteSink({ root }), { lock: null, ...fast })
  assert.deepEqual(await filesUnder(root), ['keep/x.lock', 'manifests/m.json'])

  const undated = await plan({ candidates: arraySource(['u/1', 'u/2']), references: arraySource(['u/2']), out })
  assert.equal(undated.header.counts.undated, 1)
  assert.deepEqual(await planKeys(out), [])
  await plan({ candidates: arraySource(['u/1', 'u/2']), references: arraySource(['u/2']), out, includeUndated: true })
  assert.deepEqual(await planKeys(out), ['u/1'])
})

test('a second concurrent apply is refused by the lock; force takes over and says so', async () => {
  const root = await store({ 'a/1': OLD, 'a/2': OLD })
  const out = join(root, '..', 'lock.plan.jsonl')
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  const path = join(root, '.keydiff', 'lock')
  const held = await lockFile({ path }).acquire({ owner: 'nightly-cleaner' })
  await assert.rejects(apply(out, directoryDeleteSink({ root }), { lock: lockFile({ path }), ...fast }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_LOCK_HELD')
    assert.match(error.message, /nightly-cleaner/)
    return true
  })
  assert.deepEqual(await filesUnder(root), ['a/1', 'a/2'])
  const forced = await apply(out, directoryDeleteSink({ root }), { lock: lockFile({ path }), force: true, ...fast })
  assert.equal(forced.takenOver?.owner, 'nightly-cleaner')
  assert.equal(forced.done, 2)
  await held.release()
  await assert.rejects(apply(out, directoryDeleteSink({ root }), { ...fast } as never), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('a truncated, edited or foreign plan is refused and nothing is touched', async () => {
  const root = await store({ 'p/1': OLD, 'p/2': OLD, 'p/3': OLD })
  const out = join(root, '..', 'edit.plan.jsonl')
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  const text = await readFile(out, 'utf8')
  const sink = directoryDeleteSink({ root })
  const variants: Array<[string, string, string]> = [
    ['truncated', text.slice(0, text.length - 20), 'KEYDIFF_PLAN_CHECKSUM'],
    ['a line dropped', text.split('\n').filter(line => !line.includes('p/2')).join('\n'), 'KEYDIFF_PLAN_CHECKSUM'],
    ['a key edited', text.replace('"p/3"', '"p/4"'), 'KEYDIFF_PLAN_CHECKSUM'],
    ['a key added', text + JSON.stringify({ key: 'docs/important' }) + '\n', 'KEYDIFF_PLAN_CHECKSUM'],
    ['not a plan', 'p/1\np/2\n', 'KEYDIFF_PLAN_INVALID'],
    ['empty', '', 'KEYDIFF_PLAN_INVALID']
  ]
  for (const [what, content, code] of variants) {
    const bad = join(root, '..', `bad-${what.replace(/ /g, '-')}.jsonl`)
    await writeFile(bad, content)
    await assert.rejects(apply(bad, sink, { lock: null, ...fast }), { code }, what)
  }
  assert.deepEqual(await filesUnder(root), ['p/1', 'p/2', 'p/3'])
  assert.equal((await readPlan(out)).header.body.lines, 3)
})

test('a key that becomes referenced between plan and apply is not deleted', async () => {
  const root = await store({ 'r/1': OLD, 'r/2': OLD, 'r/3': OLD })
  const out = join(root, '..', 'recheck.plan.jsonl')
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  const rows = setLookup('postgres:images', [])
  const other = setLookup('mongo:docs', ['r/3'])
  rows.keys.add('r/2')
  const result = await apply(out, directoryDeleteSink({ root }), { lock: null, recheck: [rows, other], ...fast })
  assert.equal(result.done, 1)
  assert.equal(result.dropped, 2)
  assert.deepEqual(await filesUnder(root), ['r/2', 'r/3'])
  const log = (await readFile(result.audit, 'utf8')).split('\n').filter(Boolean).map(line => JSON.parse(line) as { event: string, key?: string, referencedBy?: string })
  assert.deepEqual(log.filter(r => r.event === 'dropped').map(r => [r.key, r.referencedBy]).sort(), [['r/2', 'postgres:images'], ['r/3', 'mongo:docs']])
})

test('a failing re-check acts on nothing and counts nothing as done', async () => {
  const root = await store({ 'f/1': OLD, 'f/2': OLD })
  const out = join(root, '..', 'recheck-fail.plan.jsonl')
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  const broken = { name: 'postgres:down', has: async () => { throw new Error('ECONNREFUSED 127.0.0.1:5432') } }
  const result = await apply(out, directoryDeleteSink({ root }), { lock: null, recheck: [broken], ...fast, retries: 1 })
  assert.equal(result.done, 0)
  assert.equal(result.failed, 2)
  assert.match(result.failures[0]?.error ?? '', /re-check failed.*ECONNREFUSED/)
  assert.deepEqual(await filesUnder(root), ['f/1', 'f/2'])
  const state = await AuditLog.state(result.audit, result.planId, 'delete')
  assert.equal(state.done.size, 0)
})
