import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { apply, plan, restore, arraySource, type KeydiffError } from '@keydiff/core'
import { keySourceSuite, lockSuite, sinkSuite } from '@keydiff/core/conformance'
import { MemoryBucket, memoryLock, memoryQuarantineSink, memorySource } from '../examples/memory-store.ts'
import { tempDirectory } from './store-fixture.ts'

// The worked example of the README's "Writing an adapter": it runs core's suites as every adapter does.

function bucketWith (entries: ReadonlyArray<{ key: string, size?: number | undefined, lastModified?: Date | undefined }>): MemoryBucket {
  const bucket = new MemoryBucket('suite')
  for (const entry of entries) bucket.objects.set(entry.key, { size: entry.size ?? 0, lastModified: entry.lastModified ?? new Date(0) })
  return bucket
}

keySourceSuite({
  test,
  name: 'memorySource',
  supports: { sorted: true },
  factory: async entries => ({ subject: memorySource({ client: bucketWith(entries), batchSize: 250 }) })
})

sinkSuite({
  test,
  name: 'memoryQuarantineSink',
  supports: { failures: true },
  factory: async (entries, { failKeys = [] }) => {
    const bucket = bucketWith(entries)
    for (const key of failKeys) bucket.denied.add(key)
    return { subject: { sink: memoryQuarantineSink({ client: bucket }), actedOn: async key => !bucket.objects.has(key) && bucket.objects.has(`.trash/${key}`) } }
  }
})

lockSuite({
  test,
  name: 'memoryLock',
  factory: async () => {
    const bucket = new MemoryBucket('locks')
    return { subject: { lock: () => memoryLock({ client: bucket }), break: async () => { bucket.unavailable = true } } }
  }
})

test('memory store: a missing client is a TypeError naming adapter, factory and option; an unusable value an InvalidOptionError', () => {
  assert.throws(() => memorySource({} as never), { name: 'TypeError', message: 'memory-store memorySource: option client is required' })
  assert.throws(() => memorySource({ client: new MemoryBucket('b'), batchSize: 0 }), (error: KeydiffError) => error.code === 'KEYDIFF_INVALID_OPTION')
})

test('memory store: plan, apply under its lock, restore — a sweep runs on the example as on any store, and a store that goes away fails the plan', async () => {
  const dir = await tempDirectory('memory-store')
  try {
    const bucket = new MemoryBucket('media')
    const old = new Date(Date.now() - 3 * 86_400_000)
    for (const key of ['a/1', 'a/2', 'b/1', 'b/2']) bucket.objects.set(key, { size: 10, lastModified: old })
    const out = join(dir.path, 'plan.jsonl')
    const summary = await plan({ candidates: memorySource({ client: bucket }), references: arraySource(['a/1', 'b/1']), store: 'memory://media/', out, maxOrphanShare: 1 })
    assert.equal(summary.header.counts.planned, 2)
    const sink = memoryQuarantineSink({ client: bucket })
    const applied = await apply(out, sink, { lock: memoryLock({ client: bucket }) })
    assert.equal(applied.done, 2)
    assert.deepEqual([...bucket.objects.keys()].sort(), ['.trash/a/2', '.trash/b/2', 'a/1', 'b/1'])
    assert.equal(bucket.lockObject, undefined, 'the lock object is gone once the apply ends')
    await restore(out, sink, { lock: memoryLock({ client: bucket }) })
    assert.deepEqual([...bucket.objects.keys()].sort(), ['a/1', 'a/2', 'b/1', 'b/2'])

    bucket.unavailable = true
    await assert.rejects(plan({ candidates: memorySource({ client: bucket }), references: arraySource(['a/1']), store: 'memory://media/', out: join(dir.path, 'down.jsonl') }),
      (error: KeydiffError) => error.code === 'KEYDIFF_SOURCE_FAILED' && /memory:\/\/media\/: listing failed: memory:\/\/media: connection refused/.test(error.message))
  } finally {
    await dir.remove()
  }
})

test('the README shows the example as it is tested', async () => {
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
  const example = await readFile(new URL('../examples/memory-store.ts', import.meta.url), 'utf8')
  const shown = /<!-- examples\/memory-store\.ts -->\n```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  assert.equal(shown, example, 'the README\'s block after <!-- examples/memory-store.ts --> is the file')
})
