import assert from 'node:assert/strict'
import { readdir, stat, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import {
  arraySource, directorySource, formatPlanSummary, linesSource, plan, PlanRefusedError, type KeySource
} from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { OLD, planKeys, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('guards') })
after(async () => { await dir.remove() })

const HOUR = 3_600_000
let counter = 0

async function store (keys: readonly string[], lastModified = OLD): Promise<string> {
  const root = join(dir.path, `store-${++counter}`)
  await writeEntries(root, keys.map(key => ({ key, size: 3, lastModified })))
  return root
}

async function references (keys: readonly string[]): Promise<string> {
  const path = join(dir.path, `refs-${++counter}.txt`)
  await writeFile(path, keys.map(key => `${key}\n`).join(''))
  return path
}

/** Asserts the plan was refused by `guard`, naming `override`, and left no file behind. */
async function refused (promise: Promise<unknown>, out: string, guard: string, override: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof PlanRefusedError, String(error))
    assert.equal(error.code, 'KEYDIFF_PLAN_REFUSED')
    assert.equal(error.guard, guard)
    assert.equal(error.override, override)
    assert.match(error.message, new RegExp(override))
    return true
  })
  await assert.rejects(stat(out), { code: 'ENOENT' }, 'no plan file is written')
  const leftovers = (await readdir(dir.path)).filter(name => name.startsWith(out.slice(dir.path.length + 1)))
  assert.deepEqual(leftovers, [], 'no temporary file is left beside the plan')
}

const numbered = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(2, '0')}.bin`)

test('empty references beside stored objects refuse the plan; allowEmptyReferences lets it through', async () => {
  const root = await store(numbered('blobs/', 4))
  const empty = await references([])
  const out = join(dir.path, 'empty.plan.jsonl')
  await refused(plan({ candidates: directorySource({ root }), references: linesSource(empty), out }), out, 'emptyReferences', 'allowEmptyReferences')
  // the orphan share (100%) would refuse it next: its own override is needed too
  await refused(plan({ candidates: directorySource({ root }), references: linesSource(empty), out, allowEmptyReferences: true }), out, 'orphanShare', 'maxOrphanShare')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(empty), out, allowEmptyReferences: true, maxOrphanShare: 1 })
  assert.equal(summary.header.counts.planned, 4)
  assert.equal(summary.header.guards?.allowEmptyReferences, true)
  // an empty store with empty references has nothing to refuse
  const none = await plan({ candidates: arraySource([]), references: linesSource(empty), out })
  assert.equal(none.header.counts.planned, 0)
})

test('most references naming nothing stored (a wrong prefix or template) refuse the plan in exact mode', async () => {
  const keys = numbered('', 10)
  const root = await store(keys)
  // the export wrote the keys with a prefix the store does not have: only two match
  const wrong = await references([...keys.slice(0, 8).map(key => `data/${key}`), ...keys.slice(8)])
  const out = join(dir.path, 'prefix.plan.jsonl')
  await refused(plan({ candidates: directorySource({ root }), references: linesSource(wrong), out, maxOrphanShare: 1 }), out, 'missingShare', 'maxMissingShare')

  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(wrong), out, maxOrphanShare: 1, maxMissingShare: 1 })
  assert.equal(summary.header.counts.planned, 8)
  assert.equal(summary.header.guards?.missingShare, null, 'a guard turned off is not measured')
  // bloom mode cannot count missing references: the guard is skipped and says so
  const bloom = await plan({ candidates: directorySource({ root }), references: linesSource(wrong), out, maxOrphanShare: 1, diff: { mode: 'bloom' } })
  assert.equal(bloom.header.guards?.missingShare, null)
})

test('the missing share counts distinct references: repeated rows of a live key do not dilute it', async () => {
  const root = await store(['live.bin', 'orphan.bin'])
  // 50 rows name the one stored key; 3 distinct keys name nothing stored: 3 of 4 are missing
  const rows = await references([...Array.from({ length: 50 }, () => 'live.bin'), 'gone/1', 'gone/2', 'gone/3', 'gone/3'])
  const out = join(dir.path, 'distinct.plan.jsonl')
  await refused(plan({ candidates: directorySource({ root }), references: linesSource(rows), out }), out, 'missingShare', 'maxMissingShare')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(rows), out, maxMissingShare: 0.75 })
  assert.equal(summary.header.guards?.missingShare, 0.75)
  assert.equal(summary.header.guards?.orphanShare, 0.5)
  assert.deepEqual(await planKeys(out), ['orphan.bin'])
})

test('nearly the whole store planned refuses the plan; maxOrphanShare sets the limit and the header records the shares', async () => {
  const keys = numbered('img/', 20)
  const root = await store(keys)
  const one = await references([keys[0] as string])
  const out = join(dir.path, 'whole.plan.jsonl')
  await refused(plan({ candidates: directorySource({ root }), references: linesSource(one), out }), out, 'orphanShare', 'maxOrphanShare')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(one), out, maxOrphanShare: 0.95 })
  assert.equal(summary.header.counts.planned, 19)
  assert.deepEqual(summary.header.guards, { allowEmptyReferences: false, maxMissingShare: 0.5, maxOrphanShare: 0.95, missingShare: 0, orphanShare: 0.95 })
  assert.match(formatPlanSummary(summary), /guards: 0% of references missing \(limit 50%\), 95% of candidates planned \(limit 95%\)/)
  // too-young orphans are not planned, so they do not count against the limit
  const young = await store(numbered('new/', 3), new Date())
  const mixed = await plan({ candidates: directorySource({ root: young }), references: linesSource(await references(['new/00.bin'])), out })
  assert.equal(mixed.header.guards?.orphanShare, 0)
})

test('share options outside 0..1 are refused before any work', async () => {
  const out = join(dir.path, 'bad.plan.jsonl')
  for (const options of [{ maxOrphanShare: 1.5 }, { maxMissingShare: -0.1 }, { maxOrphanShare: Number.NaN }]) {
    await assert.rejects(plan({ candidates: arraySource([]), references: arraySource([]), out, ...options }), { code: 'KEYDIFF_INVALID_OPTION' })
  }
})

const SPARK = {
  live: ['tbl/part-0.parquet', 'tbl/col=1/part-1.parquet'],
  partitions: ['tbl/col=2/part-2.parquet', 'tbl/_col=3/part-3.parquet', 'tbl/col=4/_c=5/part-4.parquet'],
  hidden: [
    'tbl/_SUCCESS',
    'tbl/_temporary/0/_temporary/attempt_1/part-9.parquet',
    'tbl/.part-0.parquet.crc',
    'tbl/col=1/.part-1.parquet.crc',
    '.hoodie/20260101.commit',
    'tbl/_hidden_dir/data.parquet',
    '.dotfile',
    'tbl/_col=3/_x=y'
  ]
}

test('hidden Spark-style names are protected by default and counted; partition folders are not hidden', async () => {
  const root = await store([...SPARK.live, ...SPARK.partitions, ...SPARK.hidden])
  const refs = await references(SPARK.live)
  const out = join(dir.path, 'spark.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out })
  assert.deepEqual(await planKeys(out), [...SPARK.partitions].sort())
  assert.equal(summary.header.counts.hidden, SPARK.hidden.length)
  assert.equal(summary.header.protectHidden, true)
  assert.match(formatPlanSummary(summary), new RegExp(`${SPARK.hidden.length} hidden \\(protected\\)`))

  const open = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out, protectHidden: false, maxOrphanShare: 1 })
  assert.deepEqual(await planKeys(out), [...SPARK.partitions, ...SPARK.hidden].sort())
  assert.equal(open.header.counts.hidden, 0)
})

test('exclude prefixes and .keydiff segments are never candidates, whatever the options', async () => {
  const root = await store(['data/a.bin', 'data/b.bin', 'data/live.bin', 'trash/data/old.bin', 'nested/.keydiff/plan.jsonl'])
  const refs = await references(['data/live.bin'])
  const out = join(dir.path, 'exclude.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out, exclude: ['trash/'], protectHidden: false })
  assert.deepEqual(await planKeys(out), ['data/a.bin', 'data/b.bin'])
  assert.equal(summary.header.counts.excluded, 2)
  assert.equal(summary.header.counts.candidates, 3, 'excluded keys are not candidates')
  assert.deepEqual(summary.header.exclude, ['trash/'])
  assert.match(formatPlanSummary(summary), /2 stored keys excluded before the diff \(\.keydiff, trash\/\)/)
  await assert.rejects(plan({ candidates: directorySource({ root }), references: linesSource(refs), out, exclude: [''] }), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('keydiff\'s own lock objects are never candidates: .keydiff/lock, and the root lock objects of keydiff 0.1', async () => {
  const root = await store(['data/a.bin', '.keydiff/lock', '.keydiff.lock', 'keydiff.lock', 'data/keydiff.lock'])
  const refs = await references(['data/a.bin'])
  const out = join(dir.path, 'locks.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out, protectHidden: false, maxOrphanShare: 1 })
  assert.deepEqual(await planKeys(out), ['data/keydiff.lock'], 'a user\'s own file of that name elsewhere is still a candidate')
  // the directory store never lists its own .keydiff/; the two older lock objects are excluded
  assert.equal(summary.header.counts.excluded, 2)
})

test('the fence counts from when a references export was written, not from when it was read', async () => {
  const now = Date.now()
  const root = await store(['live.bin', 'ancient.bin'], new Date(now - 100 * HOUR))
  await writeEntries(root, [{ key: 'recent.bin', size: 3, lastModified: new Date(now - 30 * HOUR) }])
  const refs = await references(['live.bin'])
  // the export was written 40 hours ago; recent.bin was written 10 hours after it, so a
  // reference to it may be missing from the export: with a 24 h grace it must not be planned
  await utimes(refs, new Date(now - 40 * HOUR), new Date(now - 40 * HOUR))
  const out = join(dir.path, 'fence.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out, grace: '24h' })
  assert.deepEqual(await planKeys(out), ['ancient.bin'])
  assert.equal(summary.header.counts.tooYoung, 1)
  const basis = summary.header.fenceBasis
  assert.equal(basis?.basis, 'file modified')
  assert.equal(basis?.source, `lines:${refs}`)
  assert.ok(Math.abs(Date.parse(basis?.time ?? '') - (now - 40 * HOUR)) < 1000, `${basis?.time} is the file's modification time`)
  assert.equal(summary.header.referenceScanStartedAt, basis?.time)
  assert.equal(Date.parse(summary.header.fence), Date.parse(basis?.time ?? '') - 24 * HOUR)
  assert.match(formatPlanSummary(summary), /references true at .*: file modified of /)
})

test('referencesAsOf declares the basis outright; a bad or future time is refused', async () => {
  const now = Date.now()
  const root = await store(['live.bin', 'a.bin'], new Date(now - 30 * HOUR))
  const refs = await references(['live.bin'])
  const out = join(dir.path, 'declared.plan.jsonl')
  const asOf = new Date(now - 50 * HOUR).toISOString()
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(refs), out, referencesAsOf: asOf })
  assert.deepEqual(summary.header.fenceBasis, { time: asOf, source: null, basis: 'declared' })
  assert.equal(summary.header.counts.tooYoung, 1)
  assert.deepEqual(await planKeys(out), [])
  await assert.rejects(plan({ candidates: directorySource({ root }), references: linesSource(refs), out, referencesAsOf: 'yesterday' }), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(plan({ candidates: directorySource({ root }), references: linesSource(refs), out, referencesAsOf: new Date(now + HOUR) }), { code: 'KEYDIFF_INVALID_OPTION' })
})

test('a source that names its scan basis gives the fence its time; one that says nothing counts from the plan start', async () => {
  const inventory: KeySource = Object.assign(keySource([[{ key: 'live.bin' }]], { name: 's3-inventory:manifest.json', scanStartedAt: () => new Date(Date.now() - 5 * HOUR) }), { scanBasis: 'inventory created' })
  const plain = arraySource([{ key: 'other.bin' }])
  const out = join(dir.path, 'basis.plan.jsonl')
  const candidates = [{ key: 'live.bin', lastModified: OLD }, { key: 'other.bin', lastModified: OLD }, { key: 'x.bin', lastModified: OLD }]
  const summary = await plan({ candidates: arraySource(candidates), references: [plain, inventory], out })
  assert.equal(summary.header.fenceBasis?.basis, 'inventory created')
  assert.equal(summary.header.fenceBasis?.source, 's3-inventory:manifest.json')
  // a scan that started after the plan did is the basis, not the plan's start
  const read = arraySource(['live.bin', 'other.bin'])
  const scanned = await plan({ candidates: arraySource(candidates), references: read, out })
  assert.equal(scanned.header.fenceBasis?.basis, 'read started')
  assert.equal(scanned.header.fenceBasis?.time, read.scanStartedAt?.toISOString())
  const started = Date.now()
  const silent: KeySource = { name: 'silent', sorted: false, [Symbol.asyncIterator]: async function * () { yield [{ key: 'live.bin' }] } }
  const unsaid = await plan({ candidates: arraySource(candidates), references: silent, out })
  assert.equal(unsaid.header.fenceBasis?.source, null)
  assert.equal(unsaid.header.fenceBasis?.basis, 'plan started')
  assert.ok(Date.parse(unsaid.header.fenceBasis?.time ?? '') <= started + 1000)
})

test('names a source could not list are counted in the header and named in the summary', async () => {
  const candidates = Object.assign(arraySource([{ key: 'a.bin', lastModified: OLD }, { key: 'live.bin', lastModified: OLD }]), {
    unlisted: { count: 2, examples: ['bad\\xff.txt', 'dir\\xfe/'] }
  })
  const out = join(dir.path, 'unlisted.plan.jsonl')
  const summary = await plan({ candidates, references: arraySource(['live.bin']), out })
  assert.equal(summary.header.counts.unlisted, 2)
  assert.deepEqual(summary.header.unlisted, [{ source: candidates.name, count: 2, examples: ['bad\\xff.txt', 'dir\\xfe/'] }])
  assert.match(formatPlanSummary(summary), /2 names in .* could not be listed .*bad\\xff\.txt, dir\\xfe\//)
})

test('a file name that is not valid UTF-8 is counted as unlisted in the header and the summary, never planned', async () => {
  const root = await store(['live.bin', 'a.bin'])
  await writeFile(Buffer.concat([Buffer.from(`${root}/bad`), Buffer.from([0xff]), Buffer.from('.bin')]), 'x')
  const out = join(dir.path, 'utf8.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: arraySource(['live.bin']), out })
  assert.equal(summary.header.counts.unlisted, 1)
  assert.deepEqual(summary.header.unlisted?.map(entry => entry.count), [1])
  assert.deepEqual(await planKeys(out), ['a.bin'])
  assert.match(formatPlanSummary(summary), /1 names in dir:.* could not be listed \(not valid UTF-8\), never planned: bad\\xff\.bin/)
})

test('for any layout, exactly the keys with a hidden segment (not a _k=v folder) are kept out, and counted', async () => {
  const segment = fc.constantFrom('a', 'x y', '.crc', '_SUCCESS', '_tmp', '_col=1', 'col=2', '_=x', '.', '_a=', 'é', '')
  const key = fc.array(segment, { minLength: 1, maxLength: 4 }).map(parts => parts.join('/'))
  // the definition, written the plain way: a folder `_name=value` is a partition
  const hidden = (k: string): boolean => k.split('/').some((part, i, parts) =>
    part.startsWith('.') || (part.startsWith('_') && !(i < parts.length - 1 && /^_[^=]+=/.test(part))))
  const out = join(dir.path, 'hidden-property.plan.jsonl')
  await fc.assert(fc.asyncProperty(fc.uniqueArray(key, { maxLength: 30 }), async keys => {
    const summary = await plan({ ...UNGUARDED, candidates: arraySource(keys.map(k => ({ key: k, lastModified: OLD }))), references: arraySource([]), out })
    assert.deepEqual(await planKeys(out), keys.filter(k => !hidden(k)).sort())
    assert.equal(summary.header.counts.hidden, keys.filter(hidden).length)
  }), { numRuns: 100 })
})
