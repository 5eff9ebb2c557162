import assert from 'node:assert/strict'
import type { Lock, LockInfo, LockLease } from '../contracts/lock.ts'
import { KeydiffError } from '../errors.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

/** Each call of `lock()` returns a new Lock on the same target, as another process would see it. */
export type LockFactory = () => Promise<Fixture<{ lock: () => Lock }>>

export interface LockSuiteOptions {
  test: TestFunction
  factory: LockFactory
  /** Prefix for test names. @default 'lock' */
  name?: string
}

function assertInfo (info: LockInfo, lock: Lock, owner: string): void {
  assert.equal(info.target, lock.target, 'info.target names the lock target')
  assert.equal(info.owner, owner, 'info.owner is the owner given to acquire')
  assert.ok(typeof info.host === 'string' && info.host.length > 0, 'info.host is set')
  assert.ok(Number.isInteger(info.pid) && info.pid > 0, 'info.pid is a process id')
  assert.ok(typeof info.startedAt === 'string' && !Number.isNaN(Date.parse(info.startedAt)), `info.startedAt is an ISO time, got ${JSON.stringify(info.startedAt)}`)
}

async function assertHeld (lock: Lock, holder: string): Promise<void> {
  await assert.rejects(lock.acquire({ owner: 'suite-intruder' }), (error: unknown) => {
    assert.ok(error instanceof KeydiffError, `a held lock must refuse with a KeydiffError, got ${String(error)}`)
    assert.equal(error.code, 'KEYDIFF_LOCK_HELD')
    assert.ok(error.message.includes(holder), `the refusal should name the holder ${holder}: ${error.message}`)
    return true
  })
}

/**
 * The conformance suite every lock runs against its own server: a held lock refuses a
 * second holder and names it, `force` takes over and names whom it displaced, a displaced
 * lease cannot release its successor, and a released lock can be taken again.
 */
export function lockSuite (options: LockSuiteOptions): void {
  const { test, factory } = options
  const name = options.name ?? 'lock'

  const withFixture = async (fn: (lock: () => Lock) => Promise<void>): Promise<void> => {
    const fixture = await factory()
    const leases: LockLease[] = []
    const tracked = (): Lock => {
      const lock = fixture.subject.lock()
      return {
        target: lock.target,
        acquire: async (acquireOptions) => {
          const lease = await lock.acquire(acquireOptions)
          leases.push(lease)
          return lease
        }
      }
    }
    try {
      await fn(tracked)
    } finally {
      for (const lease of leases.reverse()) await lease.release().catch(() => {})
      await fixture.teardown?.()
    }
  }

  test(`${name}: a lease records owner, host, pid and start time`, async () => {
    await withFixture(async lock => {
      const first = lock()
      const lease = await first.acquire({ owner: 'suite-owner-a' })
      assertInfo(lease.info, first, 'suite-owner-a')
      assert.equal(lease.takenOver, undefined, 'a free lock displaces no one')
      await lease.release()
    })
  })

  test(`${name}: a held lock refuses a second holder with KEYDIFF_LOCK_HELD, naming the holder`, async () => {
    await withFixture(async lock => {
      const lease = await lock().acquire({ owner: 'suite-owner-a' })
      await assertHeld(lock(), 'suite-owner-a')
      await assertHeld(lock(), 'suite-owner-a')
      await lease.release()
    })
  })

  test(`${name}: force takes over and names the previous holder`, async () => {
    await withFixture(async lock => {
      const first = await lock().acquire({ owner: 'suite-owner-a' })
      const second = lock()
      const lease = await second.acquire({ owner: 'suite-owner-b', force: true })
      assertInfo(lease.info, second, 'suite-owner-b')
      assert.ok(lease.takenOver !== undefined, 'a forced take-over reports whom it displaced')
      assert.equal(lease.takenOver.owner, first.info.owner)
      assert.equal(lease.takenOver.startedAt, first.info.startedAt)
      await assertHeld(lock(), 'suite-owner-b')
      await first.release()
      await assertHeld(lock(), 'suite-owner-b')
      await lease.release()
    })
  })

  test(`${name}: a released lock can be taken again, and releasing twice is harmless`, async () => {
    await withFixture(async lock => {
      const first = await lock().acquire({ owner: 'suite-owner-a' })
      await first.release()
      await first.release()
      const again = await lock().acquire({ owner: 'suite-owner-b' })
      assert.equal(again.takenOver, undefined, 'a released lock displaces no one')
      await assertHeld(lock(), 'suite-owner-b')
      await again.release()
      const third = await lock().acquire({ owner: 'suite-owner-c' })
      await third.release()
    })
  })

  test(`${name}: force on a free lock takes it and displaces no one`, async () => {
    await withFixture(async lock => {
      const lease = await lock().acquire({ owner: 'suite-owner-a', force: true })
      assert.equal(lease.takenOver, undefined)
      await assertHeld(lock(), 'suite-owner-a')
      await lease.release()
    })
  })
}
