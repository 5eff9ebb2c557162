import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { Storage } from '@google-cloud/storage'
import { startGcsServer, type GcsTestServer } from '@keydiff/gcs/testing'
import { main, undo } from '../src/soft-delete-lifecycle.ts'

let server: GcsTestServer
let storage: Storage
let root: string
const quiet = (): void => {}
const DAY = 86_400_000
const LIVE = Array.from({ length: 30 }, (_, i) => `blobs/live-${String(i).padStart(2, '0')}`)
const ORPHANS = ['blobs/orphan-1', 'blobs/orphan 2+3', 'blobs/ørphan-ü', 'tmp/upload-7']

before(async () => {
  try {
    server = await startGcsServer()
  } catch (error) {
    throw new Error(`could not start the GCS stand-in (@keydiff/gcs/testing) on 127.0.0.1: ${String(error)}`, { cause: error })
  }
  // The client skips authentication for a custom apiEndpoint; its own retries are off.
  storage = new Storage({ apiEndpoint: server.endpoint, projectId: 'keydiff-example', retryOptions: { autoRetry: false } })
  root = await mkdtemp(join(tmpdir(), 'keydiff-example-soft-delete-'))
  await writeFile(join(root, 'references.txt'), LIVE.join('\n') + '\n')
})
after(async () => {
  await server?.close()
  await rm(root, { recursive: true, force: true })
})

/** A bucket written without holds, its objects two days old, and one fresh unreferenced upload. */
function bucketWithObjects (name: string): void {
  server.store.createBucket(name, {})
  for (const key of [...LIVE, ...ORPHANS]) {
    const object = server.store.put(name, key, Buffer.alloc(100, 97))
    object.timeCreated = object.updated = new Date(Date.now() - 2 * DAY)
  }
  server.store.put(name, 'blobs/fresh-upload', Buffer.alloc(5, 97))
}

const keys = (name: string): string[] => [...server.store.bucket(name).objects.keys()].sort()

test('job 4, custom time: orphans are marked, the daysSinceCustomTime rule removes only them once the days have passed', async () => {
  bucketWithObjects('soft-custom-time')
  const result = await main({ storage, bucket: 'soft-custom-time', references: join(root, 'references.txt'), mode: 'customTime', days: 30, work: root, log: quiet })
  assert.equal(result.summary.header.counts.planned, ORPHANS.length)
  assert.equal(result.summary.header.counts.tooYoung, 1)
  assert.equal(result.applied.done, ORPHANS.length)
  assert.equal(result.applied.action, 'custom-time')
  assert.deepEqual(server.store.bucket('soft-custom-time').lifecycle?.rule.map(rule => rule.condition), [{ daysSinceCustomTime: 30 }])
  assert.deepEqual(server.store.runLifecycle('soft-custom-time'), [], 'nothing is deleted before the days have passed')
  assert.deepEqual(server.store.runLifecycle('soft-custom-time', new Date(Date.now() + 31 * DAY)).sort(), [...ORPHANS].sort())
  assert.deepEqual(keys('soft-custom-time'), [...LIVE, 'blobs/fresh-upload'].sort())
})

test('job 4, custom time: undo before the rule runs keeps every object', async () => {
  bucketWithObjects('soft-undo')
  const result = await main({ storage, bucket: 'soft-undo', references: join(root, 'references.txt'), days: 30, work: root, log: quiet })
  const undone = await undo({ storage, bucket: 'soft-undo', plan: result.plan, log: quiet })
  assert.equal(undone.done, ORPHANS.length)
  assert.deepEqual(server.store.runLifecycle('soft-undo', new Date(Date.now() + 31 * DAY)), [])
  assert.equal(keys('soft-undo').length, LIVE.length + ORPHANS.length + 1)
})

test('job 4, holds: the live objects are held first, released orphans are removed by the age rule, undo holds them again', async () => {
  bucketWithObjects('soft-hold')
  const lines: string[] = []
  const first = await main({ storage, bucket: 'soft-hold', references: join(root, 'references.txt'), mode: 'hold', days: 1, work: root, log: line => lines.push(line) })
  assert.match(lines.join('\n'), /"age": 1/, 'the rule is printed')
  assert.match(lines.join('\n'), /held 30 live objects of 35/)
  const bucket = server.store.bucket('soft-hold')
  assert.ok(LIVE.every(key => bucket.objects.get(key)?.eventBasedHold === true), 'every live object is held')
  assert.ok(ORPHANS.every(key => bucket.objects.get(key)?.eventBasedHold !== true))
  assert.equal(first.applied.action, 'release-hold')

  // Undo: the orphans are held again, and the age rule passes them by.
  await undo({ storage, bucket: 'soft-hold', plan: first.plan, mode: 'hold', log: quiet })
  assert.ok(ORPHANS.every(key => bucket.objects.get(key)?.eventBasedHold === true))
  assert.deepEqual(server.store.runLifecycle('soft-hold').filter(key => key !== 'blobs/fresh-upload'), [])

  // Setting the hold again moved each orphan's `updated`: a run right now leaves them alone.
  const soon = await main({ storage, bucket: 'soft-hold', references: join(root, 'references.txt'), mode: 'hold', days: 1, work: root, log: quiet })
  assert.equal(soon.applied.done, 0)
  assert.equal(soon.summary.header.counts.tooYoung, ORPHANS.length + 1)

  // Two days later (the store's clock is moved back instead), they go.
  for (const object of bucket.objects.values()) object.updated = object.timeCreated = new Date(Date.now() - 2 * DAY)
  const second = await main({ storage, bucket: 'soft-hold', references: join(root, 'references.txt'), mode: 'hold', days: 1, work: root, log: quiet })
  assert.equal(second.applied.done, ORPHANS.length + 1)
  assert.deepEqual(server.store.runLifecycle('soft-hold').sort(), [...ORPHANS, 'blobs/fresh-upload'].sort())
  for (const key of LIVE) assert.ok(bucket.objects.has(key), `${key} stays`)
})
