import assert from 'node:assert/strict'
import { access, readdir, readFile, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { Queue } from 'bullmq'
import { after, before, describe, test } from 'node:test'
import { linesSource, plan, readPlan, type PlanCounts } from '@keydiff/core'
import { directoryDriver } from '@keydiff/core/adapter'
import { hexRanges, planDistributed, queueConnection, queueStatus, readManifest, ShardFailedError, type DistributedPlan, type RunManifest } from '../src/index.ts'
import { blobStore, type BlobStore } from './fixtures/blob-store.ts'
import { Cluster, REDIS_URL } from './fixtures/cluster.ts'
import type { TestRun } from './fixtures/directory-opener.ts'

async function plannedKeys (manifest: RunManifest, shared: string): Promise<string[]> {
  const keys: string[] = []
  for (const part of manifest.parts) {
    for await (const batch of (await readPlan(join(shared, part.path))).batches()) keys.push(...batch.map(entry => entry.key))
  }
  return keys
}

async function singleProcessPlan (store: BlobStore, out: string): Promise<{ keys: string[], counts: PlanCounts }> {
  const opened = directoryDriver.open({ type: 'directory', path: store.root }, { env: {}, baseDir: '/', workdir: '/tmp' })
  const summary = await plan({ candidates: opened.candidates(), references: linesSource(store.references), store: opened.location(), out })
  const keys: string[] = []
  for await (const batch of (await readPlan(summary.path)).batches()) keys.push(...batch.map(entry => entry.key))
  return { keys, counts: summary.header.counts }
}

describe('planDistributed, with worker processes on a real Redis', () => {
  let cluster: Cluster
  let store: BlobStore
  let expected: string[]

  before(async () => {
    cluster = await Cluster.start()
    store = await blobStore(1200)
    expected = (await singleProcessPlan(store, join(cluster.shared, 'single.jsonl'))).keys
  })
  after(async () => {
    await cluster?.stop()
    await store?.remove()
  })

  const description = (extra: Partial<TestRun> = {}): TestRun => ({ root: store.root, references: store.references, ...extra })
  const onCluster = (): { connection: string, queue: string, shared: string } => ({ connection: REDIS_URL, queue: cluster.queue, shared: cluster.shared })

  test('plans exactly the keys a single process plans, each in the part of its range, with one fence and one manifest', async () => {
    await Promise.all([cluster.worker(), cluster.worker()])
    const seen: number[] = []
    const result = await planDistributed({
      ...onCluster(),
      description: description(),
      ranges: hexRanges(6, { prefix: 'blobs/' }),
      onProgress: progress => { seen.push(progress.done) }
    })
    assert.equal(expected.length, 120)
    assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), expected)
    assert.equal(result.manifest.parts.length, 6)
    assert.equal(new Set(result.manifest.parts.map(part => part.fence)).size, 1)
    assert.equal(result.manifest.counts.candidates, 1200)
    assert.equal(result.manifest.counts.planned, 120)
    assert.equal(result.manifest.prefixes.reduce((sum, total) => sum + total.count, 0), 120)
    assert.equal(result.manifest.guards.orphanShare, 0.1)
    // each reference to nothing (1 in 50 keys) is counted by the one shard its key falls in
    assert.equal(result.manifest.counts.missing, 24)
    assert.equal(result.manifest.guards.missingShare, 24 / (24 + 1080))
    assert.equal(seen.at(-1), 6)
    const again = await readManifest(result.path, cluster.shared)
    assert.equal(again.checksum, result.manifest.checksum)
    // the flow's jobs left Redis once their results were read
    const queue = new Queue(cluster.queue, { connection: queueConnection(REDIS_URL) })
    try {
      assert.deepEqual(Object.values(await queue.getJobCounts()).filter(count => count > 0), [])
    } finally {
      await queue.close()
    }
  })

  test('scattered references: read once into per-shard files before the shards start, the plan is the same, and the files are gone after', async () => {
    const result = await planDistributed({
      ...onCluster(),
      description: description(),
      ranges: hexRanges(5, { prefix: 'blobs/' }),
      run: 'scattered',
      scatterReferences: true
    })
    assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), expected)
    // each reference (none of them a URI) was read by the one shard whose range holds it
    assert.equal(result.manifest.counts.references, 1104)
    await assert.rejects(access(join(cluster.shared, 'scattered', 'references')))
  })

  test('references to other stores and in both spellings are counted once over the shards, as one process counts them', async () => {
    const mixed = join(cluster.shared, 'mixed-references.txt')
    const extra = ['s3://other-bucket/blobs/aa/x', 'file:///elsewhere/blobs/bb/y', 'https://cdn.example.com/blobs/cc/z', 'blobs/c0/a%20b', 'blobs/f1/c%2Fd']
    await writeFile(mixed, await readFile(store.references, 'utf8') + extra.join('\n') + '\n')
    const opened = directoryDriver.open({ type: 'directory', path: store.root }, { env: {}, baseDir: '/', workdir: '/tmp' })
    const single = await plan({ candidates: opened.candidates(), references: linesSource(mixed), store: opened.location(), out: join(cluster.shared, 'mixed-single.jsonl') })
    assert.equal(single.header.counts.foreignReferences, 3)
    assert.equal(single.header.counts.bothSpellings, 2)
    const result = await planDistributed({
      ...onCluster(),
      description: description({ references: mixed }),
      ranges: hexRanges(4, { prefix: 'blobs/' }),
      run: 'mixed'
    })
    // every shard resolves the references that may name another key (URIs, escapes): only the shard their text falls in counts them
    assert.equal(result.manifest.counts.foreignReferences, 3)
    assert.equal(result.manifest.counts.bothSpellings, 2)
    assert.equal(result.manifest.counts.references, single.header.counts.references)
    assert.equal(result.manifest.counts.missing, single.header.counts.missing)
    assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), expected)
  })

  test('the guards judge the merged counts once: empty references refuse the run, though every shard plans with its guards off', async () => {
    await cluster.worker()
    const empty = join(cluster.shared, 'no-references.txt')
    await writeFile(empty, '')
    await assert.rejects(planDistributed({
      ...onCluster(),
      description: description({ references: empty }),
      ranges: hexRanges(3, { prefix: 'blobs/' }),
      run: 'refused'
    }), (error: Error & { code?: string, guard?: string }) => error.code === 'KEYDIFF_PLAN_REFUSED')
    await assert.rejects(access(join(cluster.shared, 'refused', 'manifest.json')))
  })

  test('the missing share is judged on the merged counts: references under a wrong prefix refuse the run, though no shard judged it', async () => {
    await cluster.worker()
    const wrong = join(cluster.shared, 'wrong-prefix.txt')
    // a config that forgot the store's prefix: the references name keys the store does not hold
    const keys = store.keys.slice(0, 600)
    await writeFile(wrong, [...keys.slice(0, 500).map(key => key.replace(/^blobs\//, 'blobz/')), ...keys.slice(500)].join('\n') + '\n')
    await assert.rejects(planDistributed({
      ...onCluster(),
      description: description({ references: wrong }),
      ranges: hexRanges(3, { prefix: 'blobs/' }),
      run: 'wrong-prefix',
      guards: { maxOrphanShare: 1 }
    }), (error: Error & { code?: string, guard?: string }) => {
      assert.equal(error.code, 'KEYDIFF_PLAN_REFUSED')
      assert.equal(error.guard, 'missingShare')
      assert.match(error.message, /500 of 600 distinct keys/)
      return true
    })
    await assert.rejects(access(join(cluster.shared, 'wrong-prefix', 'manifest.json')))
  })

  test('a shard that fails fails the run with its own code and no manifest', async () => {
    const ranges = hexRanges(4, { prefix: 'blobs/' })
    let failure: unknown
    try {
      await planDistributed({
        connection: REDIS_URL,
        queue: cluster.queue,
        shared: cluster.shared,
        description: description({ failAfter: ranges[2]?.after as string }),
        ranges,
        run: 'failing',
        backoff: 50
      })
    } catch (error) {
      failure = error
    }
    assert.ok(failure instanceof ShardFailedError, String(failure))
    assert.equal(failure.code, 'KEYDIFF_SOURCE_NOT_FOUND')
    assert.match(failure.message, /shard 2 \("blobs\/8", "blobs\/c"\]/)
    await assert.rejects(access(join(cluster.shared, 'failing', 'manifest.json')))
  })

  test('keepFinished: a failed run records its finished parts and the missing range, and resume plans only that range into the same plan', async () => {
    const ranges = hexRanges(4, { prefix: 'blobs/' })
    let failure: unknown
    try {
      await planDistributed({ ...onCluster(), description: description({ failAfter: ranges[1]?.after as string }), ranges, run: 'resumed', keepFinished: true })
    } catch (error) {
      failure = error
    }
    assert.ok(failure instanceof ShardFailedError, String(failure))
    assert.equal(failure.code, 'KEYDIFF_SOURCE_NOT_FOUND')
    assert.match(failure.message, /shard 1 /)
    assert.deepEqual(failure.unfinished?.missing, [ranges[1]])
    await assert.rejects(access(join(cluster.shared, 'resumed', 'manifest.json')))
    const unfinished = JSON.parse(await readFile(failure.unfinished?.path as string, 'utf8')) as { parts: Array<{ path: string }> }
    assert.equal(unfinished.parts.length, 3)

    const result = await planDistributed({ ...onCluster(), description: description(), ranges: [], run: 'resumed', resume: true })
    assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), expected)
    assert.deepEqual(result.manifest.parts.map(part => part.range), ranges)
    // the kept parts are the ones the failed attempt wrote, not planned again
    for (const kept of unfinished.parts) assert.ok(result.manifest.parts.some(part => part.path === kept.path))
    await assert.rejects(access(failure.unfinished?.path as string))
  })

  test('--status shows a run\'s waiting shards with their ranges, and cancelling the run removes its jobs', async () => {
    const cancel = new AbortController()
    // a queue no worker serves: the shards wait
    const running = planDistributed({ connection: REDIS_URL, queue: 'nobody-serves', shared: cluster.shared, description: description(), ranges: hexRanges(3, { prefix: 'blobs/' }), run: 'waiting', signal: cancel.signal })
    let status = await queueStatus({ connection: REDIS_URL, queue: 'nobody-serves' })
    for (let i = 0; i < 50 && status.length === 0; i++) {
      await new Promise(resolve => setTimeout(resolve, 50))
      status = await queueStatus({ connection: REDIS_URL, queue: 'nobody-serves' })
    }
    assert.deepEqual(status, [{ run: 'waiting', phase: 'plan', jobs: { waiting: 3 }, active: [] }])
    cancel.abort()
    await assert.rejects(running, (error: Error & { code?: string }) => error.code === 'KEYDIFF_ABORTED')
    assert.deepEqual(await queueStatus({ connection: REDIS_URL, queue: 'nobody-serves' }), [])
  })

  test('a skewed key space is split while it runs: the shard that holds every key hands its rest on, part after part, and the plan is the same', async () => {
    const skewed = await blobStore(600, { skewed: true })
    try {
      const single = await singleProcessPlan(skewed, join(cluster.shared, 'single-skewed.jsonl'))
      const result = await planDistributed({
        connection: REDIS_URL,
        queue: cluster.queue,
        shared: cluster.shared,
        description: { root: skewed.root, references: skewed.references, slowListMs: 1 },
        ranges: hexRanges(4, { prefix: 'blobs/' }),
        run: 'skewed',
        splitAbove: 150
      })
      assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), single.keys)
      // the parts cut short read the references of their shard's whole range: each is counted once
      assert.equal(result.manifest.counts.references, single.counts.references)
      assert.deepEqual(result.manifest.parts.map(part => part.referencesCounted !== undefined), [true, true, true, false, false, false, false])
      const listed = result.manifest.parts.map(part => part.counts.candidates)
      // 600 keys in the first range: parts of 150 listed keys (batches of 50), then the three empty ranges
      assert.deepEqual(listed, [150, 150, 150, 150, 0, 0, 0])
      assert.deepEqual(result.manifest.parts.map(part => part.shard), [0, 1, 2, 3, 4, 5, 6])
      assert.equal(result.manifest.counts.candidates, 600)
    } finally {
      await skewed.remove()
    }
  })

  test('a worker killed mid-shard: another takes the shard over and the plan is the same', async () => {
    for (const child of [...cluster.processes]) await cluster.kill(child)
    const first = await cluster.worker()
    let killed: Promise<void> | undefined
    let replaced: Promise<unknown> | undefined
    const result: DistributedPlan = await planDistributed({
      ...onCluster(),
      description: description({ slowListMs: 100 }),
      ranges: hexRanges(2, { prefix: 'blobs/' }),
      run: 'killed',
      onProgress: progress => {
        if (killed === undefined && progress.listed > 0 && progress.done === 0) {
          killed = cluster.kill(first)
          replaced = killed.then(async () => await cluster.worker())
        }
      }
    })
    assert.ok(killed !== undefined, 'the worker was killed mid-shard')
    await replaced
    assert.deepEqual(await plannedKeys(result.manifest, cluster.shared), expected)
    // the killed attempt's part, if it wrote one, is removed: the parts left are the manifest's
    const manifest = JSON.parse(await readFile(result.path, 'utf8')) as RunManifest
    assert.deepEqual((await readdir(join(cluster.shared, 'killed', 'parts'))).sort(), manifest.parts.map(part => basename(part.path)).sort())
  })
})
