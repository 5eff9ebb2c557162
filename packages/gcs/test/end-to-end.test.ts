import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { apply, arraySource, plan, restore } from '@keydiff/core'
import type { KeydiffError, RestorableSink, Sink } from '@keydiff/core'
import { applySoftDeleteLifecycle, gcsCustomTimeSink, gcsDeleteSink, gcsQuarantineSink, gcsReleaseHoldSink, gcsSource } from '../src/index.ts'
import { exists, fillBucket, removeBucket, useWorkspace } from './helpers.ts'

const workspace = useWorkspace()

const DAY = 86_400_000
const LIVE = Array.from({ length: 40 }, (_, i) => `blobs/${String(i).padStart(3, '0')}`)
const ORPHANS = ['blobs/orphan-a', 'blobs/orphan b+c', 'blobs/ünïcode', 'old/x', 'old/y']
let plans = 0

/** A bucket of live and orphaned objects two days old, and a plan of its orphans. */
async function planned (options: { defaultEventBasedHold?: boolean } = {}): Promise<{ bucket: string, path: string }> {
  const bucket = fillBucket(workspace.context, LIVE.concat(ORPHANS).map(key => ({ key, size: 10 })), { ...options, ageMs: 2 * DAY })
  const path = join(workspace.dir, `plan-${++plans}.jsonl`)
  const summary = await plan({ candidates: gcsSource({ client: workspace.context.storage, bucket }), references: arraySource(LIVE), store: `gs://${bucket}/`, out: path, grace: '1h' })
  assert.equal(summary.header.counts.planned, ORPHANS.length)
  return { bucket, path }
}

async function run (path: string, sink: Sink): Promise<void> {
  const result = await apply(path, sink, { lock: null, retryDelay: 1 })
  assert.equal(result.failed, 0, JSON.stringify(result.failures))
  assert.equal(result.done, ORPHANS.length)
}

test('end to end: plan, then delete the orphans; the live objects stay', async () => {
  const { bucket, path } = await planned()
  await run(path, gcsDeleteSink({ client: workspace.context.storage, bucket }))
  for (const key of ORPHANS) assert.ok(!exists(workspace.context, bucket, key), key)
  for (const key of LIVE) assert.ok(exists(workspace.context, bucket, key), key)
  removeBucket(workspace.context, bucket)
})

test('end to end: quarantine under a trash prefix, then restore from the plan', async () => {
  const { bucket, path } = await planned()
  // a hidden prefix: a plan never lists it, so apply lets the trash live in the bucket
  const sink = gcsQuarantineSink({ client: workspace.context.storage, bucket, trashPrefix: '_trash/' })
  await run(path, sink)
  for (const key of ORPHANS) assert.ok(!exists(workspace.context, bucket, key) && exists(workspace.context, bucket, `_trash/${key}`), key)
  const restored = await restore(path, sink, { lock: null, retryDelay: 1 })
  assert.equal(restored.failed, 0, JSON.stringify(restored.failures))
  for (const key of ORPHANS) assert.ok(exists(workspace.context, bucket, key) && !exists(workspace.context, bucket, `_trash/${key}`), key)
  removeBucket(workspace.context, bucket)
})

test('end to end: soft delete by releasing holds; the age rule removes only released objects', async () => {
  const { bucket, path } = await planned({ defaultEventBasedHold: true })
  await applySoftDeleteLifecycle({ client: workspace.context.storage, bucket, mode: 'hold', days: 1, confirmLiveObjectsHeld: true })
  await run(path, gcsReleaseHoldSink({ client: workspace.context.storage, bucket }))
  const deleted = workspace.context.server.store.runLifecycle(bucket)
  assert.deepEqual(deleted.sort(), [...ORPHANS].sort())
  for (const key of LIVE) assert.ok(exists(workspace.context, bucket, key), key)
  removeBucket(workspace.context, bucket)
})

test('end to end: released holds can be set again before the lifecycle runs', async () => {
  const { bucket, path } = await planned({ defaultEventBasedHold: true })
  const sink: RestorableSink = gcsReleaseHoldSink({ client: workspace.context.storage, bucket })
  await run(path, sink)
  const restored = await restore(path, sink, { lock: null, retryDelay: 1 })
  assert.equal(restored.done, ORPHANS.length)
  assert.deepEqual(workspace.context.server.store.runLifecycle(bucket), [])
  removeBucket(workspace.context, bucket)
})

test('end to end: soft delete by customTime; daysSinceCustomTime removes them once the days have passed', async () => {
  const { bucket, path } = await planned()
  await applySoftDeleteLifecycle({ client: workspace.context.storage, bucket, mode: 'customTime', days: 7 })
  await run(path, gcsCustomTimeSink({ client: workspace.context.storage, bucket }))
  assert.deepEqual(workspace.context.server.store.runLifecycle(bucket), [], 'nothing is due on day 0')
  const deleted = workspace.context.server.store.runLifecycle(bucket, new Date(Date.now() + 8 * DAY))
  assert.deepEqual(deleted.sort(), [...ORPHANS].sort())
  for (const key of LIVE) assert.ok(exists(workspace.context, bucket, key), key)
  removeBucket(workspace.context, bucket)
})

test('end to end: an object rewritten between plan and apply survives every action', async () => {
  const actions: Array<[string, (bucket: string) => Sink, boolean]> = [
    ['delete', bucket => gcsDeleteSink({ client: workspace.context.storage, bucket }), false],
    ['quarantine', bucket => gcsQuarantineSink({ client: workspace.context.storage, bucket }), false],
    ['release-hold', bucket => gcsReleaseHoldSink({ client: workspace.context.storage, bucket }), true],
    ['custom-time', bucket => gcsCustomTimeSink({ client: workspace.context.storage, bucket }), false]
  ]
  for (const [action, make, held] of actions) {
    const { bucket, path } = await planned({ defaultEventBasedHold: held })
    const store = workspace.context.server.store
    if (held) store.patch(bucket, 'old/x', { eventBasedHold: false })
    // Written again after the plan: now referenced by a row the plan never saw.
    await workspace.context.storage.bucket(bucket).file('old/x').save('new content', { resumable: false })
    const result = await apply(path, make(bucket), { lock: null, retryDelay: 1, retries: 1 })
    assert.equal(result.done, ORPHANS.length - 1, action)
    assert.deepEqual(result.failures.map(failure => failure.key), ['old/x'], action)
    const survivor = store.object(bucket, 'old/x')
    assert.equal(survivor.data.toString(), 'new content', action)
    if (held) assert.equal(survivor.eventBasedHold, true, action)
    assert.equal(survivor.customTime, undefined, action)
    removeBucket(workspace.context, bucket)
  }
})

test('end to end: a listing that fails mid-way fails the plan and writes no plan file', async () => {
  const bucket = fillBucket(workspace.context, Array.from({ length: 2500 }, (_, i) => ({ key: `k/${i}` })), { ageMs: 2 * DAY })
  let pages = 0
  workspace.context.server.fault = request => request.operation === 'objects.list' && ++pages > 1 ? { status: 403, reason: 'forbidden' } : undefined
  const path = join(workspace.dir, 'failed-plan.jsonl')
  await assert.rejects(
    plan({ candidates: gcsSource({ client: workspace.context.storage, bucket }), references: arraySource([]), out: path, grace: '1h' }),
    (error: KeydiffError) => error.code === 'KEYDIFF_SOURCE_FAILED'
  )
  await assert.rejects(stat(path), { code: 'ENOENT' })
  workspace.context.server.fault = undefined
  removeBucket(workspace.context, bucket)
})
