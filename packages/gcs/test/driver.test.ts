import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { KeySource } from '@keydiff/core'
import { driver } from '@keydiff/gcs'
import { fillBucket, startContext, type TestContext } from './helpers.ts'

let context: TestContext
before(async () => { context = await startContext() })
after(async () => { await context.server.close() })

async function keysOf (source: KeySource): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of source) keys.push(...batch.map(entry => entry.key))
  return keys
}

const opening = { env: {}, baseDir: process.cwd(), workdir: process.cwd() }
const section = (bucket: string) => ({ type: 'gcs', bucket, apiEndpoint: context.server.endpoint, projectId: 'keydiff-test', maxAttempts: 1 })

test('the gcs driver lists a store, a prefix and a range (startOffset, stopping past the end)', async () => {
  const bucket = fillBucket(context, ['a/1', 'a/2', 'b/1', 'b/2', 'c'].map(key => ({ key })))
  const store = driver.open(section(bucket), opening)
  assert.equal(store.location(), `gs://${bucket}/`)
  assert.deepEqual(await keysOf(store.candidates()), ['a/1', 'a/2', 'b/1', 'b/2', 'c'])
  assert.deepEqual(await keysOf(store.candidates({ prefix: 'b/' })), ['b/1', 'b/2'])
  const listed = context.server.log.length
  assert.deepEqual(await keysOf(store.candidates({ range: { after: 'a/2', upTo: 'b/2' } })), ['b/1', 'b/2'])
  assert.ok(context.server.log.slice(listed).some(request => request.operation === 'objects.list' && request.query.get('startOffset') === 'a/2'), 'the lower bound is sent to the store')
})

test('the gcs driver quarantines, restores from the recorded trash, deletes, probes and locks', async () => {
  const bucket = fillBucket(context, ['gone', 'moved'].map(key => ({ key })))
  const store = driver.open(section(bucket), opening)
  assert.equal(store.trash?.({ type: 'quarantine' }), `gs://${bucket}/.keydiff-trash/`)
  assert.ok((await store.sink({ type: 'quarantine' }).apply([{ key: 'moved' }])).every(outcome => outcome.ok))
  assert.ok((await store.sink({ type: 'delete' }).apply([{ key: 'gone' }])).every(outcome => outcome.ok))
  assert.deepEqual(await keysOf(store.candidates()), ['.keydiff-trash/moved'])
  assert.ok((await store.restorer?.(`gs://${bucket}/.keydiff-trash/`)?.restore([{ key: 'moved' }]))?.every(outcome => outcome.ok))
  assert.deepEqual(await keysOf(store.candidates()), ['moved'])
  await store.probe({ type: 'delete' })
  assert.deepEqual(await keysOf(store.candidates()), ['moved'])
  const lease = await store.lock().acquire()
  await assert.rejects(store.lock().acquire(), { code: 'KEYDIFF_LOCK_HELD' })
  await lease.release()
  assert.throws(() => store.sink({ type: 'tag' }), TypeError)
})
