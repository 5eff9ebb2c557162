import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import {
  apply, arraySource, directoryDeleteSink, directoryQuarantineSink, directorySource, formatStoreLocation,
  lockFile, parseStoreLocation, plan, readPlan, recordedTrash, restore
} from '@keydiff/core'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD, planKeys } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('binding') })
after(async () => { await dir.remove() })

const fast = { retryDelay: 1, maxRetryDelay: 5 }

let counter = 0
/**
 * A directory store of `orphans` files under `<label>/` and as many referenced ones under
 * `keep/` (at most 50, enough that no plan guard trips).
 */
async function store (orphans: number, label = 'o'): Promise<{ root: string, keep: string[], orphans: string[] }> {
  const root = join(dir.path, `store-${++counter}`)
  const keep = Array.from({ length: Math.min(orphans, 50) }, (_, i) => `keep/${i}`)
  const planned = Array.from({ length: orphans }, (_, i) => `${label}/${String(i).padStart(4, '0')}`)
  await writeFiles(root, [...keep, ...planned])
  return { root, keep, orphans: planned }
}

/** Old files of 3 bytes, written a hundred at a time (writeEntries writes one by one). */
async function writeFiles (root: string, keys: readonly string[]): Promise<void> {
  for (let i = 0; i < keys.length; i += 100) {
    await Promise.all(keys.slice(i, i + 100).map(async key => { await writeEntries(root, [{ key, size: 3, lastModified: OLD }]) }))
  }
}

async function planFor (root: string, keep: string[], name: string): Promise<string> {
  const out = join(dir.path, `${name}.plan.jsonl`)
  await plan({ candidates: directorySource({ root }), references: arraySource(keep), out })
  return out
}

/** Everything under a directory, the work directory included: proof that nothing was touched. */
async function everything (root: string): Promise<string[]> {
  return (await readdir(root, { recursive: true })).sort()
}

async function auditRecords (path: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path, 'utf8')).split('\n').filter(Boolean).map(line => JSON.parse(line) as Record<string, unknown>)
}

/** Rewrites the plan's header line with `edit` applied, keeping the body and the header's checksum as they were. */
async function editHeader (path: string, edit: (header: Record<string, unknown>) => void): Promise<void> {
  const text = await readFile(path, 'utf8')
  const newline = text.indexOf('\n')
  const header = JSON.parse(text.slice(0, newline)) as Record<string, unknown>
  edit(header)
  await writeFile(path, JSON.stringify(header) + text.slice(newline))
}

test('a plan records its store and a checksum over its header', async () => {
  const { root, keep } = await store(3)
  const out = await planFor(root, keep, 'header')
  const { header } = await readPlan(out)
  assert.equal(header.version, 2)
  assert.equal(header.store, formatStoreLocation(parseStoreLocation(root)))
  assert.match(header.checksum, /^[0-9a-f]{64}$/)
})

test('a header edited to name another store, fence or count is refused, and nothing is touched in either store', async () => {
  const a = await store(4)
  const b = await store(4)
  const out = await planFor(a.root, a.keep, 'edited')
  const original = await readFile(out, 'utf8')
  const beforeA = await everything(a.root)
  const beforeB = await everything(b.root)
  const edits: Array<[string, (header: Record<string, unknown>) => void]> = [
    ['store', header => { header.store = formatStoreLocation(parseStoreLocation(b.root)) }],
    ['fence', header => { header.fence = new Date().toISOString() }],
    ['counts', header => { (header.counts as { planned: number }).planned = 1 }],
    ['graceMs', header => { header.graceMs = 0 }]
  ]
  for (const [field, edit] of edits) {
    await writeFile(out, original)
    await editHeader(out, edit)
    await assert.rejects(readPlan(out), { code: 'KEYDIFF_PLAN_CHECKSUM' }, field)
    for (const root of [a.root, b.root]) {
      await assert.rejects(apply(out, directoryDeleteSink({ root }), { lock: lockFile({ path: join(root, '.keydiff', 'lock') }), ...fast }), { code: 'KEYDIFF_PLAN_CHECKSUM' }, `${field} on ${root}`)
    }
  }
  assert.deepEqual(await everything(a.root), beforeA)
  assert.deepEqual(await everything(b.root), beforeB)
  await assert.rejects(stat(`${out}.audit.jsonl`), { code: 'ENOENT' }, 'no audit log was even started')
})

test('property: any other value in any header field is refused before anything is acted on', async () => {
  const { root, keep } = await store(2)
  const out = await planFor(root, keep, 'property')
  const text = await readFile(out, 'utf8')
  const newline = text.indexOf('\n')
  const header = JSON.parse(text.slice(0, newline)) as Record<string, unknown>
  const sorted = (value: unknown): string => JSON.stringify(value, (_key, item: unknown) => item === null || typeof item !== 'object' || Array.isArray(item) ? item : Object.fromEntries(Object.entries(item).sort(([a], [b]) => a < b ? -1 : 1)))
  const edited = join(dir.path, 'property-edited.plan.jsonl')
  await fc.assert(fc.asyncProperty(fc.constantFrom(...Object.keys(header).filter(field => field !== 'checksum')), fc.jsonValue({ maxDepth: 2 }), async (field, value) => {
    fc.pre(sorted(value) !== sorted(header[field]))
    await writeFile(edited, JSON.stringify({ ...header, [field]: value }) + text.slice(newline))
    await assert.rejects(readPlan(edited), (error: Error & { code?: string }) => error.code === 'KEYDIFF_PLAN_CHECKSUM' || error.code === 'KEYDIFF_PLAN_INVALID')
  }), { numRuns: 200 })
  await assert.rejects(apply(edited, directoryDeleteSink({ root }), { lock: null }))
  assert.equal((await filesUnder(root)).length, 4)
})

test('a version-1 plan (no header checksum, no store) is refused: make a new plan', async () => {
  const { root, keep } = await store(2)
  const out = await planFor(root, keep, 'v1')
  await editHeader(out, header => {
    header.version = 1
    delete header.checksum
    delete header.store
  })
  await assert.rejects(readPlan(out), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_PLAN_INVALID')
    assert.match(error.message, /version 1 .*make a new plan/)
    return true
  })
  await assert.rejects(apply(out, directoryDeleteSink({ root }), { lock: null }), { code: 'KEYDIFF_PLAN_INVALID' })
  assert.equal((await filesUnder(root)).length, 4)
})

test('a plan made for store A is refused by sinks on store B, and nothing is touched in either', async () => {
  const a = await store(5)
  const b = await store(5)
  const out = await planFor(a.root, a.keep, 'cross')
  const beforeA = await everything(a.root)
  const beforeB = await everything(b.root)
  const lock = lockFile({ path: join(b.root, '.keydiff', 'lock') })
  for (const sink of [directoryDeleteSink({ root: b.root }), directoryQuarantineSink({ root: b.root })]) {
    await assert.rejects(apply(out, sink, { lock, ...fast }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'KEYDIFF_PLAN_STORE')
      assert.ok(error.message.includes(a.root) && error.message.includes(b.root), error.message)
      return true
    })
  }
  await assert.rejects(restore(out, directoryQuarantineSink({ root: b.root }), { lock, ...fast }), { code: 'KEYDIFF_PLAN_STORE' })
  // even with the acknowledgement for unbound plans: a bound plan never crosses stores
  await assert.rejects(apply(out, directoryDeleteSink({ root: b.root }), { lock, allowUnboundPlan: true }), { code: 'KEYDIFF_PLAN_STORE' })
  assert.deepEqual(await everything(a.root), beforeA)
  assert.deepEqual(await everything(b.root), beforeB, 'not even a lock file in B')
  await assert.rejects(stat(`${out}.audit.jsonl`), { code: 'ENOENT' })

  const result = await apply(out, directoryDeleteSink({ root: a.root }), { lock: null, ...fast })
  assert.equal(result.done, 5)
  assert.deepEqual(await filesUnder(a.root), a.keep.sort())
})

test('a plan that names no store, or a sink that names none, needs allowUnboundPlan', async () => {
  const { root, orphans } = await store(3)
  const out = join(dir.path, 'unbound.plan.jsonl')
  const listing = orphans.map(key => ({ key, size: 3, lastModified: OLD }))
  await plan({ candidates: arraySource([...listing, { key: 'keep/0', size: 3, lastModified: OLD }]), references: arraySource(['keep/0']), out })
  assert.equal((await readPlan(out)).header.store, null)
  await assert.rejects(apply(out, directoryDeleteSink({ root }), { lock: null }), { code: 'KEYDIFF_PLAN_STORE' })
  assert.equal((await filesUnder(root)).length, 6)

  const bound = await planFor(root, ['keep/0', 'keep/1', 'keep/2'], 'bound')
  const anonymous = { name: 'anonymous', action: 'delete', apply: directoryDeleteSink({ root }).apply }
  await assert.rejects(apply(bound, anonymous, { lock: null }), { code: 'KEYDIFF_PLAN_STORE' })
  assert.equal((await filesUnder(root)).length, 6)

  const result = await apply(out, directoryDeleteSink({ root }), { lock: null, allowUnboundPlan: true })
  assert.equal(result.done, 3)
  const start = (await auditRecords(result.audit)).find(record => record.event === 'start')
  assert.equal(start?.bound, false)
  assert.equal(start?.planStore, null)
})

test('a plan rewritten in place while it is applied: only its verified entries are acted on', async () => {
  // long names make a plan of several read chunks, so a reader that streams the file would meet the new text
  const long = Array.from({ length: 4 }, () => 'x'.repeat(200)).join('/')
  const { root, keep } = await store(250, `a${long}`)
  const out = await planFor(root, keep, 'rewritten')
  const planned = await planKeys(out)
  await writeFiles(root, Array.from({ length: 250 }, (_, i) => `b${long}/${i}`))
  // a valid plan of the same store that names only the b files, to be written over the first
  const other = join(dir.path, 'other.plan.jsonl')
  await plan({ candidates: directorySource({ root }), references: arraySource([...keep, ...planned]), out: other })
  assert.equal((await planKeys(other)).length, 250)
  assert.ok((await stat(out)).size > 200_000)

  let rewritten = false
  const result = await apply(out, directoryDeleteSink({ root }), {
    lock: null,
    batchSize: 25,
    concurrency: 1,
    onProgress: () => {
      if (rewritten) return
      rewritten = true
      // the same file (same inode) truncated and written again, as an editor or a second plan run would
      writeFileSync(out, readFileSync(other))
    }
  })
  const after = await filesUnder(root)
  assert.ok(rewritten)
  assert.equal(result.done, 250)
  assert.equal(result.failed, 0)
  assert.deepEqual(after.filter(key => key.startsWith('a')), [], 'every planned file is gone')
  assert.equal(after.filter(key => key.startsWith('b')).length, 250, 'no file of the rewritten plan was touched')
  assert.deepEqual((await readdir(dir.path)).filter(name => name.endsWith('.verified')), [], 'the private copy is removed')
})

test('the private copy of the plan is mode 0600 while it is applied, and removed after a failure too', async () => {
  const { root, keep } = await store(4)
  const out = await planFor(root, keep, 'private')
  const modes: number[] = []
  await apply(out, directoryDeleteSink({ root }), {
    lock: null,
    batchSize: 2,
    concurrency: 1,
    onProgress: () => {
      for (const name of readdirSync(dir.path)) if (name.endsWith('.verified')) modes.push(statSync(join(dir.path, name)).mode & 0o777)
    }
  })
  assert.ok(modes.length > 0)
  assert.ok(modes.every(mode => mode === 0o600), modes.map(mode => mode.toString(8)).join(' '))
  const b = await store(1)
  await assert.rejects(apply(out, directoryDeleteSink({ root: b.root }), { lock: null }), { code: 'KEYDIFF_PLAN_STORE' })
  assert.deepEqual((await readdir(dir.path)).filter(name => name.endsWith('.verified')), [])
})

test('the audit log names the plan by its id in every record, the end record too, and the start record names store and trash', async () => {
  const { root, keep } = await store(3)
  const out = await planFor(root, keep, 'audit')
  const trash = join(dir.path, 'audit-trash')
  const result = await apply(out, directoryQuarantineSink({ root, trash }), { lock: null })
  const { header } = await readPlan(out)
  assert.equal(result.planId, header.checksum)
  const records = await auditRecords(result.audit)
  assert.deepEqual([...new Set(records.map(record => record.plan))], [header.checksum])
  const end = records.find(record => record.event === 'end')
  assert.equal(end?.plan, header.checksum)
  assert.equal(end?.planPath, result.plan)
  const start = records.find(record => record.event === 'start')
  assert.equal(start?.store, formatStoreLocation(parseStoreLocation(root)))
  assert.equal(start?.trash, formatStoreLocation(parseStoreLocation(trash)))
  assert.equal(start?.bound, true)
})

test('restore knows its trash: a sink on another trash is refused and names where the keys went', async () => {
  const { root, keep, orphans } = await store(4)
  const out = await planFor(root, keep, 'trash')
  const trash = join(dir.path, 'elsewhere-trash')
  await apply(out, directoryQuarantineSink({ root, trash }), { lock: null })
  assert.deepEqual(await filesUnder(root), keep.sort())
  assert.deepEqual(await recordedTrash(out), [formatStoreLocation(parseStoreLocation(trash))])

  await assert.rejects(restore(out, directoryQuarantineSink({ root }), { lock: null }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'KEYDIFF_PLAN_STORE')
    assert.ok(error.message.includes(trash), error.message)
    return true
  })
  assert.deepEqual(await filesUnder(root), keep.sort(), 'nothing restored from the wrong place')
  const [recorded] = await recordedTrash(out)
  const back = await restore(out, directoryQuarantineSink({ root, trash: parseStoreLocation(recorded as string).path }), { lock: null })
  assert.equal(back.done, 4)
  assert.equal(back.failed, 0)
  assert.deepEqual(await filesUnder(root), [...keep, ...orphans].sort())
})

test('keys quarantined into two trashes are restored from each, and each restore leaves the others alone', async () => {
  const { root, keep, orphans } = await store(4)
  const out = await planFor(root, keep, 'two-trashes')
  const first = join(dir.path, 'trash-1')
  const second = join(dir.path, 'trash-2')
  const controller = new AbortController()
  await assert.rejects(apply(out, directoryQuarantineSink({ root, trash: first }), { lock: null, batchSize: 1, concurrency: 1, signal: controller.signal, onProgress: () => controller.abort() }), { code: 'KEYDIFF_ABORTED' })
  const resumed = await apply(out, directoryQuarantineSink({ root, trash: second }), { lock: null })
  assert.equal(resumed.skipped, 1)
  assert.equal(resumed.done, 3)
  assert.deepEqual(await recordedTrash(out), [second, first].map(path => formatStoreLocation(parseStoreLocation(path))))

  const fromFirst = await restore(out, directoryQuarantineSink({ root, trash: first }), { lock: null })
  assert.equal(fromFirst.done, 1)
  assert.equal(fromFirst.otherTrash, 3)
  assert.equal(fromFirst.failed, 0)
  const fromSecond = await restore(out, directoryQuarantineSink({ root, trash: second }), { lock: null })
  assert.equal(fromSecond.done, 3)
  assert.equal(fromSecond.otherTrash, 0)
  assert.equal(fromSecond.failed, 0)
  assert.deepEqual(await filesUnder(root), [...keep, ...orphans].sort())
  assert.deepEqual(await recordedTrash(out), [])
})
