import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { arraySource } from '@keydiff/core'
import type { KeydiffError } from '@keydiff/core'
import { applySoftDeleteLifecycle, describeSoftDeleteLifecycle, migrateToHolds, softDeleteLifecycleRule } from '../src/index.ts'
import type { HoldMigrationReport } from '../src/index.ts'
import { fillBucket, removeBucket, useWorkspace } from './helpers.ts'

const workspace = useWorkspace()

const KEYS = Array.from({ length: 250 }, (_, i) => `obj/${String(i).padStart(4, '0')}`)
const REFERENCED = KEYS.filter((_, i) => i % 3 === 0).concat(['obj/not-stored'])

function heldKeys (bucket: string): string[] {
  return [...workspace.context.server.store.bucket(bucket).objects.values()].filter(object => object.eventBasedHold).map(object => object.name).sort()
}

test('lifecycle: each soft-delete mode gets its Delete rule', () => {
  assert.deepEqual(softDeleteLifecycleRule({ mode: 'hold', days: 30 }), { action: { type: 'Delete' }, condition: { age: 30 } })
  assert.deepEqual(softDeleteLifecycleRule({ mode: 'customTime', days: 7, prefixes: ['blobs/'] }), { action: { type: 'Delete' }, condition: { daysSinceCustomTime: 7, matchesPrefix: ['blobs/'] } })
  const text = describeSoftDeleteLifecycle('b', { mode: 'hold', days: 30 })
  assert.match(text, /"age": 30/)
  assert.match(text, /--default-event-based-hold/)
  assert.throws(() => softDeleteLifecycleRule({ mode: 'hold', days: -1 }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
})

test('lifecycle: applying keeps other rules, adds the rule once, and refuses an age rule over unheld objects', async () => {
  const bucket = fillBucket(workspace.context, [])
  const other = { action: { type: 'Delete' as const }, condition: { age: 365, matchesPrefix: ['tmp/'] } }
  workspace.context.server.store.patchBucket(bucket, { lifecycle: { rule: [other] } })
  await assert.rejects(applySoftDeleteLifecycle({ client: workspace.context.storage, bucket, mode: 'hold', days: 30 }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
  assert.deepEqual(workspace.context.server.store.bucket(bucket).lifecycle?.rule, [other])
  const first = await applySoftDeleteLifecycle({ client: workspace.context.storage, bucket, mode: 'hold', days: 30, confirmLiveObjectsHeld: true, defaultEventBasedHold: true })
  assert.equal(first.added, true)
  assert.equal(first.defaultEventBasedHold, true)
  assert.deepEqual(first.rules, [other, { action: { type: 'Delete' }, condition: { age: 30 } }])
  const second = await applySoftDeleteLifecycle({ client: workspace.context.storage, bucket, mode: 'hold', days: 30, confirmLiveObjectsHeld: true })
  assert.equal(second.added, false)
  assert.equal(workspace.context.server.store.bucket(bucket).lifecycle?.rule.length, 2)
  removeBucket(workspace.context, bucket)
})

for (const sorted of [true, false]) {
  test(`migration: holds exactly the referenced objects (${sorted ? 'sorted' : 'unsorted'} references), with progress`, async () => {
    const bucket = fillBucket(workspace.context, KEYS.map(key => ({ key })))
    const progress: number[] = []
    const references = sorted ? arraySource(REFERENCED, { sorted: true }) : arraySource([...REFERENCED].reverse())
    const report = await migrateToHolds({ client: workspace.context.storage, bucket, references, pageSize: 40, onProgress: r => progress.push(r.scanned) })
    assert.deepEqual(heldKeys(bucket), KEYS.filter((_, i) => i % 3 === 0))
    assert.equal(report.complete, true)
    assert.equal(report.scanned, KEYS.length)
    assert.equal(report.held, 84)
    assert.equal(report.unreferenced, KEYS.length - 84)
    assert.deepEqual(report.failed, [])
    assert.deepEqual(progress, [40, 80, 120, 160, 200, 240, 250])
    removeBucket(workspace.context, bucket)
  })
}

test('migration: an interrupted run resumes from its checkpoint and does not redo finished pages', async () => {
  const bucket = fillBucket(workspace.context, KEYS.map(key => ({ key })))
  const checkpoint = join(workspace.dir, 'migration.json')
  let pages = 0
  workspace.context.server.fault = request => request.operation === 'objects.list' && ++pages === 4 ? { status: 403, reason: 'forbidden' } : undefined
  await assert.rejects(
    migrateToHolds({ client: workspace.context.storage, bucket, references: arraySource(REFERENCED, { sorted: true }), pageSize: 40, checkpoint }),
    (error: KeydiffError) => error.code === 'KEYDIFF_SOURCE_FAILED'
  )
  workspace.context.server.fault = undefined
  const saved = JSON.parse(await readFile(checkpoint, 'utf8')) as { report: HoldMigrationReport }
  assert.equal(saved.report.after, 'obj/0119')
  assert.equal(saved.report.scanned, 120)
  assert.deepEqual(heldKeys(bucket), KEYS.slice(0, 120).filter((_, i) => i % 3 === 0))

  workspace.context.server.log.length = 0
  const report = await migrateToHolds({ client: workspace.context.storage, bucket, references: arraySource(REFERENCED, { sorted: true }), pageSize: 40, checkpoint })
  const patched = workspace.context.server.log.filter(request => request.operation === 'objects.patch').map(request => request.object as string)
  assert.ok(patched.every(key => key > 'obj/0119'), 'no finished page is patched again')
  assert.equal(workspace.context.server.log.find(request => request.operation === 'objects.list')?.query.get('startOffset'), 'obj/0119')
  assert.equal(report.resumedAfter, 'obj/0119')
  assert.equal(report.scanned, KEYS.length)
  assert.equal(report.held, 84)
  assert.deepEqual(heldKeys(bucket), KEYS.filter((_, i) => i % 3 === 0))

  workspace.context.server.log.length = 0
  const again = await migrateToHolds({ client: workspace.context.storage, bucket, references: arraySource(REFERENCED, { sorted: true }), checkpoint })
  assert.equal(again.complete, true)
  assert.equal(workspace.context.server.log.length, 0, 'a finished migration does nothing twice')
  removeBucket(workspace.context, bucket)
})

test('migration: objects whose hold cannot be set are reported, and the rest are held', async () => {
  const bucket = fillBucket(workspace.context, KEYS.map(key => ({ key })))
  workspace.context.server.fault = request => request.operation === 'objects.patch' && request.object === 'obj/0003' ? { status: 403, reason: 'forbidden' } : undefined
  const report = await migrateToHolds({ client: workspace.context.storage, bucket, references: arraySource(REFERENCED, { sorted: true }) })
  workspace.context.server.fault = undefined
  assert.deepEqual(report.failed.map(failure => failure.key), ['obj/0003'])
  assert.match(report.failed[0]?.error ?? '', /403 forbidden/)
  assert.equal(report.held, 83)
  removeBucket(workspace.context, bucket)
})

test('migration: a checkpoint of another bucket is refused', async () => {
  const bucket = fillBucket(workspace.context, [{ key: 'a' }])
  const checkpoint = join(workspace.dir, 'other.json')
  await migrateToHolds({ client: workspace.context.storage, bucket, references: arraySource(['a']), checkpoint })
  const other = fillBucket(workspace.context, [{ key: 'a' }])
  await assert.rejects(migrateToHolds({ client: workspace.context.storage, bucket: other, references: arraySource(['a']), checkpoint }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
  removeBucket(workspace.context, bucket)
  removeBucket(workspace.context, other)
})
