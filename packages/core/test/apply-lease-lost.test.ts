import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, arraySource, AuditLog, directoryDeleteSink, directorySource, LockError, plan, readPlan, type KeydiffError, type Lock } from '@keydiff/core'
import { createLockInfo } from '@keydiff/core/adapter'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { filesUnder, OLD, recording, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('lease-lost') })
after(async () => { await dir.remove() })

/** A lock whose lease the test can make lost, as a renewal that found another holder would. */
function losableLock (): Lock & { lose: () => void } {
  const controller = new AbortController()
  return {
    target: 'test-lock',
    lose: () => { controller.abort(new LockError('the lease was lost: another holder took the lock', { target: 'test-lock' })) },
    acquire: async () => ({ info: createLockInfo('test-lock'), signal: controller.signal, release: async () => {} })
  }
}

test('an apply whose lease is lost stops acting at once, fails with the lease\'s LockError, and the audit log keeps what was done', async () => {
  const root = join(dir.path, 'store')
  const keys = Array.from({ length: 12 }, (_, i) => `k/${String(i).padStart(2, '0')}`)
  await writeEntries(root, keys.map(key => ({ key, size: 1, lastModified: OLD })))
  const out = join(dir.path, 'plan.jsonl')
  await plan({ ...UNGUARDED, candidates: directorySource({ root }), references: arraySource([]), out })
  const lock = losableLock()
  const sink = recording(directoryDeleteSink({ root }))
  const inner = sink.apply
  let batches = 0
  sink.apply = async (batch, options) => {
    const outcomes = await inner(batch, options)
    // the lock is lost while the first batch is acted on
    if (++batches === 1) lock.lose()
    return outcomes
  }
  await assert.rejects(apply(out, sink, { lock, batchSize: 3, concurrency: 1 }), (error: KeydiffError) => {
    assert.equal(error.code, 'KEYDIFF_LOCK_FAILED')
    assert.match(error.message, /another holder took the lock/)
    return true
  })
  assert.equal(batches, 1, 'no batch is acted on after the lease is lost')
  assert.equal((await filesUnder(root)).length, 9)
  const state = await AuditLog.state(`${out}.audit.jsonl`, (await readPlan(out)).header.checksum, 'delete')
  assert.equal(state.done.size, 3, 'the batch acted on before the loss is in the audit log, so a rerun resumes after it')
})
