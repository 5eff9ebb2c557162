import assert from 'node:assert/strict'
import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, arraySource, AuditLog, plan, readPlan, type KeyEntry, type Sink, type SinkOutcome } from '@keydiff/core'
import { tempDirectory } from './store-fixture.ts'
import { OLD, UNGUARDED } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('retry') })
after(async () => { await dir.remove() })

// the sinks here are Maps that name no store, so the plans cannot be bound to one
const unbound = { allowUnboundPlan: true }
const fast = { retryDelay: 1, maxRetryDelay: 4, ...unbound }

/** A store kept in a Map: the sink under test is apply's retry logic, not a backend. */
function flakySink (failures: Map<string, { times: number, retryable: boolean }>, maxBatch = 3): Sink & { acted: Set<string>, attempts: Map<string, number> } {
  const acted = new Set<string>()
  const attempts = new Map<string, number>()
  return {
    name: 'flaky',
    action: 'delete',
    maxBatch,
    acted,
    attempts,
    apply: async (batch: readonly KeyEntry[]): Promise<SinkOutcome[]> => batch.map(({ key }) => {
      attempts.set(key, (attempts.get(key) ?? 0) + 1)
      const failure = failures.get(key)
      if (failure !== undefined && failure.times > 0) {
        failure.times--
        return { key, ok: false, error: failure.retryable ? 'SlowDown: reduce your request rate' : 'AccessDenied', retryable: failure.retryable }
      }
      acted.add(key)
      return { key, ok: true }
    })
  }
}

async function planOf (name: string, keys: string[]): Promise<string> {
  const out = join(dir.path, `${name}.plan.jsonl`)
  await plan({ ...UNGUARDED, candidates: arraySource(keys.map(key => ({ key, size: 1, lastModified: OLD }))), references: arraySource([]), out })
  return out
}

test('transient failures are retried with backoff until they succeed', async () => {
  const out = await planOf('transient', ['k1', 'k2', 'k3', 'k4', 'k5'])
  const sink = flakySink(new Map([['k2', { times: 2, retryable: true }], ['k5', { times: 1, retryable: true }]]))
  const result = await apply(out, sink, { lock: null, ...fast, retries: 3 })
  assert.equal(result.done, 5)
  assert.equal(result.failed, 0)
  assert.equal(sink.attempts.get('k2'), 3)
  assert.equal(sink.attempts.get('k5'), 2)
  assert.equal(sink.attempts.get('k1'), 1)
})

test('a key that keeps failing is reported with its error and attempts, never counted as done, and the rest go on', async () => {
  const out = await planOf('persistent', ['a', 'b', 'c', 'd', 'e', 'f', 'g'])
  const sink = flakySink(new Map([['b', { times: 99, retryable: true }], ['f', { times: 99, retryable: false }]]))
  const result = await apply(out, sink, { lock: null, ...fast, retries: 2 })
  assert.equal(result.done, 5)
  assert.equal(result.failed, 2)
  const byKey = new Map(result.failures.map(failure => [failure.key, failure]))
  assert.deepEqual(byKey.get('b'), { key: 'b', error: 'SlowDown: reduce your request rate', attempts: 3 })
  assert.deepEqual(byKey.get('f'), { key: 'f', error: 'AccessDenied', attempts: 1 }, 'a non-retryable failure is not retried')
  const state = await AuditLog.state(result.audit, result.planId, 'delete')
  assert.deepEqual([...state.done].sort(), ['a', 'c', 'd', 'e', 'g'])
})

test('a sink that throws for a whole batch, or leaves a key without outcome, fails those keys only', async () => {
  const out = await planOf('throws', ['t1', 't2', 't3', 't4', 't5', 't6'])
  let calls = 0
  const sink: Sink = {
    name: 'throws',
    action: 'delete',
    maxBatch: 3,
    apply: async batch => {
      calls++
      if (batch.some(entry => entry.key === 't2')) throw new Error('socket hang up')
      return batch.filter(entry => entry.key !== 't6').map(entry => ({ key: entry.key, ok: true }))
    }
  }
  const result = await apply(out, sink, { lock: null, ...fast, retries: 1, concurrency: 1 })
  assert.equal(result.done, 2)
  assert.deepEqual(result.failures.map(failure => failure.key).sort(), ['t1', 't2', 't3', 't6'])
  assert.match(result.failures.find(failure => failure.key === 't1')?.error ?? '', /socket hang up/)
  assert.match(result.failures.find(failure => failure.key === 't6')?.error ?? '', /no outcome/)
  assert.equal(calls, 4)
})

test('batches respect maxBatch and concurrency stays bounded', async () => {
  const keys = Array.from({ length: 50 }, (_, i) => `c/${String(i).padStart(2, '0')}`)
  const out = await planOf('bounded', keys)
  let inFlight = 0
  let peak = 0
  let largest = 0
  const sink: Sink = {
    name: 'slow',
    action: 'delete',
    maxBatch: 4,
    apply: async batch => {
      largest = Math.max(largest, batch.length)
      peak = Math.max(peak, ++inFlight)
      await new Promise(resolve => setTimeout(resolve, 3))
      inFlight--
      return batch.map(entry => ({ key: entry.key, ok: true }))
    }
  }
  const result = await apply(out, sink, { lock: null, concurrency: 3, ...unbound })
  assert.equal(result.done, 50)
  assert.equal(largest, 4)
  assert.ok(peak <= 3 && peak >= 2, `peak concurrency ${peak}`)
})

test('a crash mid-record leaves a torn line; it is kept as a torn record and runs resume', async () => {
  const out = await planOf('torn', ['x1', 'x2', 'x3'])
  const first = await apply(out, flakySink(new Map([['x3', { times: 99, retryable: false }]])), { lock: null, ...fast })
  assert.equal(first.done, 2)
  await appendFile(first.audit, '{"at":"2026-01-01T00:00:00Z","event":"do')
  const second = flakySink(new Map())
  const result = await apply(out, second, { lock: null, ...fast })
  assert.equal(result.skipped, 2)
  assert.deepEqual([...second.acted], ['x3'])
  const records = (await readFile(first.audit, 'utf8')).split('\n').filter(Boolean).map(line => JSON.parse(line) as { event: string, text?: string })
  assert.deepEqual(records.filter(record => record.event === 'torn').map(record => record.text), ['{"at":"2026-01-01T00:00:00Z","event":"do'])
  const third = await apply(out, flakySink(new Map()), { lock: null, ...fast })
  assert.equal(third.skipped, 3)
  await appendFile(first.audit, 'garbage\n')
  await appendFile(first.audit, '{}\n')
  await assert.rejects(apply(out, flakySink(new Map()), { lock: null, ...fast }), { code: 'KEYDIFF_PARSE_ERROR' }, 'an unreadable line in the middle of the log is an error')
})

test('an aborted apply stops taking batches, logs what it did and resumes later', async () => {
  const keys = Array.from({ length: 30 }, (_, i) => `s/${String(i).padStart(2, '0')}`)
  const out = await planOf('abort', keys)
  const controller = new AbortController()
  let seen = 0
  const sink: Sink = {
    name: 'abortable',
    action: 'delete',
    maxBatch: 5,
    apply: async batch => {
      seen += batch.length
      if (seen >= 10) controller.abort()
      return batch.map(entry => ({ key: entry.key, ok: true }))
    }
  }
  await assert.rejects(apply(out, sink, { lock: null, concurrency: 1, signal: controller.signal, ...unbound }), { code: 'KEYDIFF_ABORTED' })
  const done = (await AuditLog.state(`${out}.audit.jsonl`, (await readPlan(out)).header.checksum, 'delete')).done
  assert.ok(done.size >= 10 && done.size < 30, `${done.size} done before the abort`)
  const rest = await apply(out, { ...sink, apply: async batch => batch.map(entry => ({ key: entry.key, ok: true })) }, { lock: null, ...unbound })
  assert.equal(rest.skipped, done.size)
  assert.equal(rest.done, 30 - done.size)
})
