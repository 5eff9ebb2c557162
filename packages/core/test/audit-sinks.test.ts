import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, arraySource, AuditLog, readPlan, directoryDeleteSink, directoryQuarantineSink, directorySource, plan, restore, type ActionRecord, type AuditSink, type KeydiffError } from '@keydiff/core'
import { makeUnremovable, tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD, setLookup, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('audit-sinks') })
after(async () => { await dir.remove() })

let counter = 0
async function planned (keys: readonly string[]): Promise<{ root: string, out: string }> {
  const root = join(dir.path, `store-${++counter}`)
  await writeEntries(root, keys.map(key => ({ key, size: key.length * 10, lastModified: OLD })))
  const out = join(dir.path, `plan-${counter}.jsonl`)
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  return { root, out }
}

function recordingSink (name: string): AuditSink & { records: ActionRecord[] } {
  const records: ActionRecord[] = []
  return { name, records, write: async batch => { records.push(...batch) } }
}

const fast = { retryDelay: 1, maxRetryDelay: 5 }

test('every audit sink is told each key acted on and each failure, with its size; re-check drops are not acted on and not told', async () => {
  const { root, out } = await planned(['a/1', 'a/2', 'a/3', 'a/4'])
  const restoreUnremovable = await makeUnremovable(root, ['a/4'])
  const first = recordingSink('tombstones')
  const second = recordingSink('catalogue')
  const result = await apply(out, directoryDeleteSink({ root }), { lock: null, recheck: [setLookup('rows', ['a/3'])], auditSinks: [first, second], batchSize: 2, retries: 0, ...fast })
  await restoreUnremovable()
  assert.equal(result.done, 2)
  assert.equal(result.dropped, 1)
  assert.equal(result.failed, 1)
  assert.equal(result.rechecked, 4, 'every planned key was looked up once before acting')
  for (const sink of [first, second]) {
    const byKey = new Map(sink.records.map(record => [record.key, record]))
    assert.deepEqual([...byKey.keys()].sort(), ['a/1', 'a/2', 'a/4'])
    assert.deepEqual(['a/1', 'a/2'].map(key => byKey.get(key)?.ok), [true, true])
    assert.equal(byKey.get('a/1')?.size, 30)
    assert.equal(byKey.get('a/1')?.action, 'delete')
    assert.ok(byKey.get('a/1')?.at instanceof Date)
    assert.equal(byKey.get('a/4')?.ok, false)
    assert.ok((byKey.get('a/4')?.error ?? '').length > 0, 'a failure says why')
  }
  assert.deepEqual(await filesUnder(root), ['a/3', 'a/4'])
})

test('an audit sink that fails stops the apply, naming it, and the audit log keeps what was acted on', async () => {
  const { root, out } = await planned(['b/1', 'b/2', 'b/3', 'b/4', 'b/5', 'b/6'])
  let calls = 0
  const broken: AuditSink = {
    name: 'postgres://127.0.0.1:5432/test table keydiff_tombstones',
    write: async () => {
      if (++calls === 2) throw new Error('connection terminated')
    }
  }
  await assert.rejects(apply(out, directoryDeleteSink({ root }), { lock: null, auditSinks: [broken], batchSize: 2, concurrency: 1, ...fast }), (error: KeydiffError) => {
    assert.equal(error.code, 'KEYDIFF_SINK_FAILED')
    assert.match(error.message, /audit sink postgres:\/\/127\.0\.0\.1:5432\/test table keydiff_tombstones/)
    assert.match(error.message, /connection terminated/)
    return true
  })
  const left = await filesUnder(root)
  assert.equal(left.length, 2, 'the run stopped after the batch it could not record')
  const state = await AuditLog.state(`${out}.audit.jsonl`, (await readPlan(out)).header.checksum, 'delete')
  assert.equal(state.done.size, 4, 'both batches acted on are in the audit log')
})

test('a restore tells the audit sinks what it brought back', async () => {
  const { root, out } = await planned(['c/1', 'c/2'])
  const trash = join(dir.path, `trash-${counter}`)
  await apply(out, directoryQuarantineSink({ root, trash }), { lock: null, ...fast })
  const sink = recordingSink('tombstones')
  await restore(out, directoryQuarantineSink({ root, trash }), { lock: null, auditSinks: [sink], ...fast })
  assert.deepEqual(sink.records.map(record => [record.key, record.ok, record.action]).sort(), [['c/1', true, 'restore'], ['c/2', true, 'restore']])
  assert.deepEqual(await filesUnder(root), ['c/1', 'c/2'])
})
