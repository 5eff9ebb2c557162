import assert from 'node:assert/strict'
import { access, appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { applyDistributed, hexRanges, planDistributed, type DistributedPlan } from '../src/index.ts'
import { blobStore, type BlobStore } from './fixtures/blob-store.ts'
import { Cluster, REDIS_URL } from './fixtures/cluster.ts'
import type { TestRun } from './fixtures/directory-opener.ts'

const exists = async (path: string): Promise<boolean> => await access(path).then(() => true, () => false)

/** How many times each key was recorded done, over the audit logs of every part. */
async function doneCounts (shared: string, audits: readonly string[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>()
  for (const audit of audits) {
    for (const line of (await readFile(join(shared, audit), 'utf8')).split('\n')) {
      if (line === '') continue
      const record = JSON.parse(line) as { event: string, key?: string }
      if (record.event === 'done' && record.key !== undefined) counts.set(record.key, (counts.get(record.key) ?? 0) + 1)
    }
  }
  return counts
}

describe('applyDistributed, with worker processes on a real Redis', () => {
  let cluster: Cluster
  const stores: BlobStore[] = []

  before(async () => { cluster = await Cluster.start() })
  after(async () => {
    await cluster?.stop()
    await Promise.all(stores.map(async store => { await store.remove() }))
  })

  async function planned (store: BlobStore, run: string, extra: Partial<TestRun> = {}): Promise<{ plan: DistributedPlan, description: TestRun, keys: string[] }> {
    const description: TestRun = { root: store.root, references: store.references, ...extra }
    const plan = await planDistributed({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared, description, ranges: hexRanges(3, { prefix: 'blobs/' }), run })
    const keys = store.keys.filter(key => !store.referenced.has(key))
    assert.equal(plan.manifest.counts.planned, keys.length)
    return { plan, description, keys }
  }

  async function checkStore (store: BlobStore, orphans: readonly string[]): Promise<void> {
    for (const key of orphans) assert.equal(await exists(join(store.root, key)), false, `${key} is deleted`)
    for (const key of store.referenced) assert.equal(await exists(join(store.root, key)), true, `${key} is referenced and kept`)
  }

  test('every planned key is acted on exactly once, nothing referenced is touched, at the store\'s rate across workers, and a second apply does nothing', async () => {
    await Promise.all([cluster.worker(), cluster.worker()])
    const store = await blobStore(1200)
    stores.push(store)
    const { plan, description, keys } = await planned(store, 'apply')
    const started = performance.now()
    const result = await applyDistributed({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared, description, manifest: plan.path, keysPerSecond: 40 })
    const seconds = (performance.now() - started) / 1000
    assert.equal(result.done, keys.length)
    assert.equal(result.failed, 0)
    // 120 keys at 40 a second take three windows of Redis' clock, so two boundaries at least
    assert.ok(seconds >= 1, `took ${seconds}s`)
    await checkStore(store, keys)
    const counts = await doneCounts(cluster.shared, result.parts.map(part => part.audit))
    assert.deepEqual([...counts.keys()].sort(), [...keys].sort())
    assert.ok([...counts.values()].every(count => count === 1))

    const again = await applyDistributed({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared, description, manifest: plan.path })
    assert.equal(again.done, 0)
    assert.equal(again.skipped, keys.length)

    // a part edited after the plan is refused by the job that would apply it, and fails the apply
    const edited = join(cluster.shared, plan.manifest.parts[1]?.path as string)
    await appendFile(edited, '{"key":"blobs/00/referenced"}\n')
    await assert.rejects(applyDistributed({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared, description, manifest: plan.path }), (error: Error & { code?: string }) => error.code === 'KEYDIFF_PLAN_CHECKSUM')
  })

  test('a worker killed mid-apply: the part is taken over and resumed from its audit log, each key done once', async () => {
    for (const child of [...cluster.processes]) await cluster.kill(child)
    const store = await blobStore(2400)
    stores.push(store)
    await cluster.worker()
    const { plan, description, keys } = await planned(store, 'apply-killed', { slowActMs: 300 })
    for (const child of [...cluster.processes]) await cluster.kill(child)
    const first = await cluster.worker()
    let killed: Promise<void> | undefined
    let replaced: Promise<unknown> | undefined
    const result = await applyDistributed({
      connection: REDIS_URL,
      queue: cluster.queue,
      shared: cluster.shared,
      description,
      manifest: plan.path,
      backoff: 500,
      onProgress: progress => {
        if (killed === undefined && progress.acted > 0 && progress.done === 0) {
          killed = cluster.kill(first)
          replaced = killed.then(async () => await cluster.worker())
        }
      }
    })
    assert.ok(killed !== undefined, 'the worker was killed mid-apply')
    await replaced
    await checkStore(store, keys)
    const counts = await doneCounts(cluster.shared, result.parts.map(part => part.audit))
    assert.deepEqual([...counts.keys()].sort(), [...keys].sort())
    assert.ok([...counts.values()].every(count => count === 1), 'no key is recorded done twice')
    // the replacement resumed: what the killed worker recorded was skipped, not acted on again
    assert.ok(result.skipped > 0, `skipped ${result.skipped}`)
    assert.equal(result.skipped + result.done, keys.length)
  })
})
