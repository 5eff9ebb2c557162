import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { sinkSuite } from '@keydiff/core/conformance'
import type { KeydiffError, KeyEntry, Sink } from '@keydiff/core'
import type { SinkFactory, SinkFixture } from '@keydiff/core/conformance'
import { gcsCustomTimeSink, gcsDeleteSink, gcsQuarantineSink, gcsReleaseHoldSink, gcsSource } from '../src/index.ts'
import { exists, fillBucket, removeBucket, startContext } from './helpers.ts'
import type { TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

/** The entry a plan records of `key` (through gcsSource: its generation), a writer's rewrite of it through the client, and its content. */
function changes (bucket: string, held: boolean): Pick<SinkFixture, 'planned' | 'rewrite' | 'read'> {
  return {
    planned: async key => {
      for await (const batch of gcsSource({ client: context.storage, bucket, prefix: key })) {
        const entry = batch.find(candidate => candidate.key === key)
        if (entry !== undefined) return entry
      }
      throw new Error(`${key} is not in gs://${bucket}/`)
    },
    rewrite: async (key, body) => {
      // A held object cannot be overwritten: its writer releases the hold first, and the bucket's default holds the new one.
      if (held) context.server.store.patch(bucket, key, { eventBasedHold: false })
      await context.storage.bucket(bucket).file(key).save(Buffer.from(body), { resumable: false })
    },
    read: async key => context.server.store.bucket(bucket).objects.get(key)?.data
  }
}

/** A fixture factory: a fresh bucket, failKeys refused by the server with 403, and the check. */
function factory (make: (bucket: string) => Sink, actedOn: (bucket: string, key: string) => boolean, options: { defaultEventBasedHold?: boolean } = {}): SinkFactory {
  return async (entries, fixtureOptions) => {
    const bucket = fillBucket(context, entries, options)
    const failing = new Set(fixtureOptions.failKeys ?? [])
    context.server.fault = request => request.bucket === bucket && request.object !== undefined && failing.has(request.object)
      ? { status: 403, reason: 'forbidden' }
      : undefined
    return {
      subject: { sink: make(bucket), actedOn: async key => actedOn(bucket, key), ...changes(bucket, options.defaultEventBasedHold === true) },
      teardown: async () => { context.server.fault = undefined; removeBucket(context, bucket) }
    }
  }
}

const TRASH = 'trash/'
const object = (bucket: string, key: string): { eventBasedHold: boolean, customTime: string | undefined } | undefined =>
  context.server.store.bucket(bucket).objects.get(key)

sinkSuite({
  test,
  name: 'gcs delete sink',
  supports: { failures: true },
  factory: factory(bucket => gcsDeleteSink({ client: context.storage, bucket }), (bucket, key) => !exists(context, bucket, key))
})

sinkSuite({
  test,
  name: 'gcs delete sink (JSON batch)',
  supports: { failures: true },
  factory: factory(bucket => gcsDeleteSink({ client: context.storage, bucket, jsonBatch: true }), (bucket, key) => !exists(context, bucket, key))
})

test('gcs delete sink (JSON batch): 250 deletes go out as 3 batch requests, preconditions included', async () => {
  const keys = Array.from({ length: 250 }, (_, i) => `k/${i} +%#?`)
  const bucket = fillBucket(context, keys.map(key => ({ key })))
  const store = context.server.store
  const entries: KeyEntry[] = keys.map(key => ({ key, version: store.object(bucket, key).generation }))
  store.put(bucket, keys[7] as string, Buffer.from('rewritten'))
  context.server.log.length = 0
  const outcomes = await gcsDeleteSink({ client: context.storage, bucket, jsonBatch: true }).apply(entries)
  assert.equal(context.server.log.filter(request => request.operation === 'batch').length, 3)
  assert.deepEqual(outcomes.filter(outcome => !outcome.ok).map(outcome => outcome.key), [keys[7]])
  assert.deepEqual([...store.bucket(bucket).objects.keys()], [keys[7]])
  removeBucket(context, bucket)
})

sinkSuite({
  test,
  name: 'gcs quarantine sink',
  supports: { failures: true },
  factory: factory(
    bucket => gcsQuarantineSink({ client: context.storage, bucket, trashPrefix: TRASH }),
    (bucket, key) => !exists(context, bucket, key) && exists(context, bucket, TRASH + key)
  )
})

sinkSuite({
  test,
  name: 'gcs release-hold sink',
  supports: { failures: true },
  factory: factory(
    bucket => gcsReleaseHoldSink({ client: context.storage, bucket }),
    (bucket, key) => object(bucket, key)?.eventBasedHold === false,
    { defaultEventBasedHold: true }
  )
})

sinkSuite({
  test,
  name: 'gcs custom-time sink',
  supports: { failures: true },
  factory: factory(
    bucket => gcsCustomTimeSink({ client: context.storage, bucket }),
    (bucket, key) => object(bucket, key)?.customTime !== undefined
  )
})

test('gcs sinks: a missing bucket fails the whole batch with KEYDIFF_SINK_FAILED, never "already deleted"', async () => {
  const sink = gcsDeleteSink({ client: context.storage, bucket: 'no-such-bucket' })
  await assert.rejects(sink.apply([{ key: 'a' }]), (error: KeydiffError) => error.code === 'KEYDIFF_SINK_FAILED' && error.message.includes('no-such-bucket'))
})

test('gcs delete sink: a held object is not deleted and its failure is not retryable', async () => {
  const bucket = fillBucket(context, [{ key: 'held' }], { defaultEventBasedHold: true })
  const [outcome] = await gcsDeleteSink({ client: context.storage, bucket }).apply([{ key: 'held' }])
  assert.equal(outcome?.ok, false)
  assert.equal(outcome?.retryable, false)
  assert.match(outcome?.error ?? '', /403 forbidden/)
  assert.ok(exists(context, bucket, 'held'))
  removeBucket(context, bucket)
})

test('gcs sinks: every action only touches the planned generation', async () => {
  const keys = ['a', 'b']
  const bucket = fillBucket(context, keys.map(key => ({ key })), { defaultEventBasedHold: true })
  const store = context.server.store
  const planned: KeyEntry[] = keys.map(key => ({ key, version: store.object(bucket, key).generation }))
  // Rewritten after the plan, still under its hold.
  store.patch(bucket, 'b', { eventBasedHold: false })
  store.put(bucket, 'b', Buffer.from('new'), { eventBasedHold: true })
  const cases: Array<[string, Sink, (key: string) => boolean]> = [
    ['release-hold', gcsReleaseHoldSink({ client: context.storage, bucket }), key => store.object(bucket, key).eventBasedHold],
    ['custom-time', gcsCustomTimeSink({ client: context.storage, bucket }), key => store.object(bucket, key).customTime === undefined]
  ]
  for (const [action, sink, untouched] of cases) {
    const outcomes = await sink.apply(planned)
    assert.deepEqual(outcomes.map(outcome => outcome.ok), [true, false], action)
    assert.equal(outcomes[1]?.retryable, false)
    assert.match(outcomes[1]?.error ?? '', /changed since the plan/)
    assert.ok(untouched('b'), `${action} left the rewritten object alone`)
  }
  removeBucket(context, bucket)

  const plain = fillBucket(context, [{ key: 'c' }])
  const stale: KeyEntry = { key: 'c', version: store.object(plain, 'c').generation }
  store.put(plain, 'c', Buffer.from('new'))
  for (const sink of [gcsDeleteSink({ client: context.storage, bucket: plain }), gcsQuarantineSink({ client: context.storage, bucket: plain })]) {
    const [outcome] = await sink.apply([stale])
    assert.equal(outcome?.ok, false, sink.name)
    assert.equal(outcome?.retryable, false, sink.name)
    assert.match(outcome?.error ?? '', /changed since the plan/)
    assert.equal(store.object(plain, 'c').data.toString(), 'new')
  }
  assert.equal(store.bucket(plain).objects.size, 1, 'nothing went to the trash')
  removeBucket(context, plain)
})

test('gcs custom-time sink: restore keeps the bytes and metadata, and drops only customTime', async () => {
  const bucket = fillBucket(context, [])
  await context.storage.bucket(bucket).file('doc').save('body', { resumable: false, contentType: 'text/plain', metadata: { metadata: { owner: 'x' } } })
  const sink = gcsCustomTimeSink({ client: context.storage, bucket, now: () => new Date('2030-01-01T00:00:00Z') })
  assert.equal((await sink.apply([{ key: 'doc' }]))[0]?.ok, true)
  assert.equal(context.server.store.object(bucket, 'doc').customTime, '2030-01-01T00:00:00.000Z')
  assert.equal((await sink.restore([{ key: 'doc' }]))[0]?.ok, true)
  const [metadata] = await context.storage.bucket(bucket).file('doc').getMetadata()
  assert.equal(metadata.customTime, undefined)
  assert.equal(metadata.contentType, 'text/plain')
  assert.deepEqual(metadata.metadata, { owner: 'x' })
  const [body] = await context.storage.bucket(bucket).file('doc').download()
  assert.equal(body.toString(), 'body')
  removeBucket(context, bucket)
})
