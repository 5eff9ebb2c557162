import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { arraySource, compareKeys, plan, type PlanSummary } from '@keydiff/core'
import fc from 'fast-check'
import { tempDirectory } from './store-fixture.ts'
import { OLD, planKeys, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('plan-range') })
after(async () => { await dir.remove() })

let counter = 0
async function planOf (candidates: readonly string[], references: readonly string[], extra: { range?: { after?: string, upTo?: string }, store?: string, prefixMismatch?: 'ignore' } = {}): Promise<PlanSummary> {
  return await plan({
    ...UNGUARDED,
    candidates: arraySource(candidates.map(key => ({ key, size: 1, lastModified: OLD })), { batchSize: 7 }),
    references: arraySource(references, { batchSize: 5 }),
    out: join(dir.path, `plan-${++counter}.jsonl`),
    countMissing: true,
    ...extra
  })
}

/** Ranges (p[i-1], p[i]] that cover the key space, from sorted distinct points. */
function rangesOf (points: readonly string[]): Array<{ after?: string, upTo?: string }> {
  const sorted = [...new Set(points)].sort(compareKeys)
  return [...sorted, undefined].map((upTo, i) => ({ ...(i === 0 ? {} : { after: sorted[i - 1] }), ...(upTo === undefined ? {} : { upTo }) }))
}

const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '/', 'é', '1'), minLength: 1, maxLength: 4 })

test('shards of the key space plan exactly what one plan does, and their counts of references and missing references add up to its', async () => {
  await fc.assert(fc.asyncProperty(fc.uniqueArray(key, { maxLength: 30 }), fc.array(key, { maxLength: 30 }), fc.array(key, { maxLength: 4 }), async (candidates, references, points) => {
    const whole = await planOf(candidates, references)
    const shards = await Promise.all(rangesOf(points).map(async range => await planOf(candidates, references, { range })))
    const planned = (await Promise.all(shards.map(async shard => await planKeys(shard.path)))).flat().sort()
    assert.deepEqual(planned, await planKeys(whole.path))
    const sum = (pick: (summary: PlanSummary) => number | undefined): number => shards.reduce((total, shard) => total + (pick(shard) ?? 0), 0)
    assert.equal(sum(shard => shard.header.counts.missing), whole.header.counts.missing, 'missing references: each counted by the one shard its key falls in')
    assert.equal(sum(shard => shard.header.counts.references), whole.header.counts.references)
    assert.equal(sum(shard => shard.header.counts.candidates), whole.header.counts.candidates)
  }), { numRuns: 40 })
})

const STORE = 'file:///data/store'
// Bare keys, the store's own URIs, URIs of another store and percent-escaped keys (passed on
// in both spellings, which may fall in different shards).
const reference = fc.oneof(
  key,
  key.map(k => `${STORE}/${k}`),
  key.map(k => `file:///data/elsewhere/${k}`),
  fc.tuple(key, key).map(([a, b]) => `${a}%20${b}`)
)
const listedKey = fc.oneof(key, fc.tuple(key, key).map(([a, b]) => `${a} ${b}`), fc.tuple(key, key).map(([a, b]) => `${a}%20${b}`))

test('shards resolving every reference count each foreign and each percent-escaped reference once, in the shard its text falls in', async () => {
  await fc.assert(fc.asyncProperty(fc.uniqueArray(listedKey, { maxLength: 25 }), fc.array(reference, { maxLength: 25 }), fc.array(fc.oneof(key, listedKey), { maxLength: 4 }), async (candidates, references, points) => {
    const options = { store: STORE, prefixMismatch: 'ignore' as const }
    const whole = await planOf(candidates, references, options)
    const shards = await Promise.all(rangesOf(points).map(async range => await planOf(candidates, references, { ...options, range })))
    const planned = (await Promise.all(shards.map(async shard => await planKeys(shard.path)))).flat().sort()
    assert.deepEqual(planned, await planKeys(whole.path))
    const sum = (pick: (summary: PlanSummary) => number | undefined): number => shards.reduce((total, shard) => total + (pick(shard) ?? 0), 0)
    assert.equal(sum(shard => shard.header.counts.foreignReferences), whole.header.counts.foreignReferences ?? 0)
    assert.equal(sum(shard => shard.header.counts.bothSpellings), whole.header.counts.bothSpellings ?? 0)
    assert.equal(sum(shard => shard.header.counts.references), whole.header.counts.references, 'a reference in both spellings is one row, whichever shards its spellings fall in')
    // A pair of spellings in two shards is missing in the shard of its decoded spelling alone
    // when the other names an object, so shards may count it where one plan does not: more,
    // never fewer, so the missing-share guard is never eased by sharding.
    const missing = sum(shard => shard.header.counts.missing)
    if (references.some(text => text.includes('%'))) assert.ok(missing >= (whole.header.counts.missing ?? 0), `${missing} missing over the shards, ${String(whole.header.counts.missing)} in one plan`)
    else assert.equal(missing, whole.header.counts.missing)
  }), { numRuns: 60 })
})

test('a range cuts candidates and references after resolution: a reference spelled as a URI of the store counts in the shard of its key only', async () => {
  const store = 'file:///data/store'
  const candidates = ['a/1', 'a/2', 'b/1', 'b/2']
  const references = ['file:///data/store/a/1', 'file:///data/store/b/9', 'b/1']
  const first = await planOf(candidates, references, { store, range: { upTo: 'a/9' } })
  const second = await planOf(candidates, references, { store, range: { after: 'a/9' } })
  assert.deepEqual(await planKeys(first.path), ['a/2'])
  assert.deepEqual(await planKeys(second.path), ['b/2'])
  assert.equal(first.header.counts.missing, 0)
  assert.equal(second.header.counts.missing, 1, 'b/9 names nothing listed, and only its own shard says so')
})

test('without countMissing and with the missing-share guard off, no missing count is made', async () => {
  const summary = await plan({
    ...UNGUARDED,
    candidates: arraySource([{ key: 'x', size: 1, lastModified: OLD }]),
    references: arraySource(['y']),
    out: join(dir.path, 'uncounted.jsonl')
  })
  assert.equal(summary.header.counts.missing, undefined)
})
