import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { lockFile, type LockLease } from '@keydiff/core'
import { createLockInfo, keepLease, leaseTerms, type LeaseHold } from '@keydiff/core/adapter'

function leaseOf (hold: LeaseHold, ttl: number): LockLease {
  return keepLease({ info: createLockInfo('test:lease', 'owner-a', ttl), takenOver: undefined, terms: leaseTerms({ ttl }), hold, adapter: 'test' })
}

test('of acquirers racing for a lock file whose lease ran out, exactly one takes it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keydiff-lease-race-'))
  try {
    for (let round = 0; round < 5; round++) {
      const path = join(dir, `lock-${round}`)
      const dead = await lockFile({ path }).acquire({ owner: 'dead', ttl: 30, renew: false })
      await sleep(60)
      const results = await Promise.allSettled(Array.from({ length: 6 }, async (_, i) => await lockFile({ path }).acquire({ owner: `racer-${i}` })))
      const won = results.filter(result => result.status === 'fulfilled')
      assert.equal(won.length, 1, `round ${round}: ${won.length} acquirers took the lock`)
      for (const result of results) {
        if (result.status === 'rejected') assert.equal((result.reason as { code?: string }).code, 'KEYDIFF_LOCK_HELD')
      }
      await (won[0] as PromiseFulfilledResult<LockLease>).value.release()
      await dead.release()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
})

test('a lease whose renewals keep failing reports itself lost before it runs out, and one failure alone does not', async () => {
  const ttl = 300
  const failing = leaseOf({ renew: async () => { throw new Error('store down') }, release: async () => {} }, ttl)
  const started = Date.now()
  while (!failing.signal.aborted) {
    assert.ok(Date.now() - started < ttl, 'the lease should be lost before its expiry')
    await sleep(5)
  }
  assert.equal((failing.signal.reason as { code?: string }).code, 'KEYDIFF_LOCK_FAILED')
  await failing.release()

  let calls = 0
  const flaky = leaseOf({ renew: async () => { if (++calls === 1) throw new Error('one timeout'); return true }, release: async () => {} }, ttl)
  await sleep(3 * ttl)
  assert.equal(flaky.signal.aborted, false, `one failed renewal lost the lease: ${String(flaky.signal.reason)}`)
  assert.ok(calls >= 4, `renewed ${calls} times in three ttls`)
  await flaky.release()
})

test('release waits for a renewal in flight, so the renewal never writes the lock back after it was freed', async () => {
  const events: string[] = []
  const lease = leaseOf({
    renew: async () => {
      events.push('renew started')
      await sleep(80)
      events.push('renew done')
      return true
    },
    release: async () => { events.push('released') }
  }, 60)
  while (!events.includes('renew started')) await sleep(2)
  await lease.release()
  assert.deepEqual(events.slice(-2), ['renew done', 'released'])
  await sleep(100)
  assert.equal(events.at(-1), 'released', 'no renewal after release')
})
