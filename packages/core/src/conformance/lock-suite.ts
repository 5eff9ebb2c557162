import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Lock, LockInfo, LockLease } from '../contracts/lock.ts'
import { DEFAULT_LOCK_TTL } from '../lock/lease.ts'
import type { Fixture, TestFunction } from './suite-types.ts'

/** A lock's target in a fresh namespace, as the factory of {@link lockSuite} makes it. */
export interface LockFixture {
  /** A new Lock on the fixture's target, as another process would make it. */
  lock: () => Lock
  /**
   * Makes the lock's storage fail from now on, for the Locks `lock()` made and makes (its
   * bucket removed, its server cut off): acquiring fails with KEYDIFF_LOCK_FAILED and a held
   * lease cannot renew. Teardown still cleans up after it.
   */
  break: () => Promise<void>
}

export type LockFactory = () => Promise<Fixture<LockFixture>>

export interface LockSuiteOptions {
  test: TestFunction
  factory: LockFactory
  /** Prefix for test names. @default 'lock' */
  name?: string
  /**
   * The short lease, in ms, of the expiry and renewal tests. Its renewals, every third of it,
   * must land in time on a loaded machine too. @default 1500
   */
  ttl?: number
}

function assertInfo (info: LockInfo, lock: Lock, owner: string): void {
  assert.equal(info.target, lock.target, 'info.target names the lock target')
  assert.equal(info.owner, owner, 'info.owner is the owner given to acquire')
  assert.ok(typeof info.host === 'string' && info.host.length > 0, 'info.host is set')
  assert.ok(Number.isInteger(info.pid) && info.pid > 0, 'info.pid is a process id')
  assert.ok(typeof info.startedAt === 'string' && !Number.isNaN(Date.parse(info.startedAt)), `info.startedAt is an ISO time, got ${JSON.stringify(info.startedAt)}`)
}

function assertTtl (info: LockInfo, ttl: number): void {
  assert.ok(typeof info.expiresAt === 'string' && !Number.isNaN(Date.parse(info.expiresAt)), `info.expiresAt is an ISO time, got ${JSON.stringify(info.expiresAt)}`)
  const length = Date.parse(info.expiresAt) - Date.parse(info.startedAt)
  assert.ok(Math.abs(length - ttl) <= 2000, `the lease runs ${length} ms from its start; it was asked for ${ttl} ms`)
}

/** Checks the shape, not `instanceof`: the adapter may be built against another copy of core. */
function assertCode (error: unknown, code: string): asserts error is Error & { code: string, retryable?: unknown } {
  assert.ok(error instanceof Error, `expected a keydiff error, got ${String(error)}`)
  assert.ok(error.message.startsWith('[keydiff]'), `expected a keydiff error, got ${String(error)}`)
  assert.equal((error as { code?: unknown }).code, code, error.message)
}

async function assertHeld (lock: Lock, holder: string): Promise<void> {
  await assert.rejects(lock.acquire({ owner: 'suite-intruder' }), (error: unknown) => {
    assertCode(error, 'KEYDIFF_LOCK_HELD')
    assert.ok(error.message.includes(holder), `the refusal should name the holder ${holder}: ${error.message}`)
    return true
  })
}

/** Waits until the lease reports itself lost, and returns why. */
async function lost (lease: LockLease, within: number): Promise<unknown> {
  const deadline = Date.now() + within
  while (!lease.signal.aborted) {
    assert.ok(Date.now() < deadline, `the lease was not reported lost within ${within} ms`)
    await sleep(20)
  }
  return lease.signal.reason
}

/**
 * The conformance suite every lock runs against its own server: a held lock refuses a
 * second holder and names it, `force` takes over and names whom it displaced, a displaced
 * lease cannot release its successor and learns it lost the lock, a released lock can be
 * taken again; a lease that is not renewed runs out and is taken without `force`, one that
 * is renewed outlives many of its ttls; and a lock whose storage fails says so with
 * KEYDIFF_LOCK_FAILED, when acquired and under a held lease.
 */
export function lockSuite (options: LockSuiteOptions): void {
  const { test, factory } = options
  const name = options.name ?? 'lock'
  const ttl = options.ttl ?? 1500

  const withFixture = async (fn: (lock: () => Lock, fixture: LockFixture) => Promise<void>): Promise<void> => {
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
      await fn(tracked, fixture.subject)
    } finally {
      for (const lease of leases.reverse()) await lease.release().catch(() => {})
      await fixture.teardown?.()
    }
  }

  test(`${name}: a lease records owner, host, pid, start and expiry`, async () => {
    await withFixture(async lock => {
      const first = lock()
      const lease = await first.acquire({ owner: 'suite-owner-a', ttl: 30_000 })
      assertInfo(lease.info, first, 'suite-owner-a')
      assertTtl(lease.info, 30_000)
      assert.equal(lease.takenOver, undefined, 'a free lock displaces no one')
      assert.equal(lease.signal.aborted, false, 'a new lease is not lost')
      await lease.release()
      assert.equal(lease.signal.aborted, false, 'releasing a lease does not report it lost')
      const defaulted = await first.acquire({ owner: 'suite-owner-a' })
      assertTtl(defaulted.info, DEFAULT_LOCK_TTL)
      await defaulted.release()
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

  test(`${name}: a lease that is not renewed runs out, and the lock is taken without force, naming its holder`, async () => {
    await withFixture(async lock => {
      const dead = await lock().acquire({ owner: 'suite-owner-dead', ttl, renew: false })
      assertTtl(dead.info, ttl)
      await assertHeld(lock(), 'suite-owner-dead')
      await sleep(ttl + 200)
      const next = await lock().acquire({ owner: 'suite-owner-next' })
      assert.ok(next.takenOver !== undefined, 'taking an expired lock reports whom it displaced')
      assert.equal(next.takenOver.owner, 'suite-owner-dead')
      assert.equal(next.takenOver.startedAt, dead.info.startedAt)
      assert.ok(next.takenOver.expiresAt !== undefined && Date.parse(next.takenOver.expiresAt) <= Date.now(), 'the displaced lease had run out')
      await assertHeld(lock(), 'suite-owner-next')
      await dead.release()
      await assertHeld(lock(), 'suite-owner-next')
      await next.release()
    })
  })

  test(`${name}: a lease that renews itself outlives several of its ttls`, async () => {
    await withFixture(async lock => {
      const lease = await lock().acquire({ owner: 'suite-owner-a', ttl })
      for (let i = 0; i < 4; i++) {
        await sleep(ttl)
        await assertHeld(lock(), 'suite-owner-a')
      }
      assert.equal(lease.signal.aborted, false, `the renewed lease was reported lost: ${String(lease.signal.reason)}`)
      await lease.release()
      const next = await lock().acquire({ owner: 'suite-owner-b' })
      assert.equal(next.takenOver, undefined, 'a released lease displaces no one')
      await next.release()
    })
  })

  test(`${name}: a lease displaced by force learns on its next renewal that it lost the lock`, async () => {
    await withFixture(async lock => {
      const first = await lock().acquire({ owner: 'suite-owner-a', ttl })
      const second = await lock().acquire({ owner: 'suite-owner-b', force: true })
      assertCode(await lost(first, 3 * ttl + 5000), 'KEYDIFF_LOCK_FAILED')
      await first.release()
      await assertHeld(lock(), 'suite-owner-b')
      assert.equal(second.signal.aborted, false)
      await second.release()
    })
  })

  test(`${name}: when the storage fails, acquire fails with KEYDIFF_LOCK_FAILED, which a retry may mend`, async () => {
    await withFixture(async (lock, fixture) => {
      await fixture.break()
      await assert.rejects(lock().acquire({ owner: 'suite-owner-a' }), (error: unknown) => {
        assertCode(error, 'KEYDIFF_LOCK_FAILED')
        assert.equal(error.retryable, true, 'a lock whose storage failed may be taken on a later try')
        return true
      })
    })
  })

  test(`${name}: when the storage fails under a held lease, the lease reports itself lost with KEYDIFF_LOCK_FAILED`, async () => {
    await withFixture(async (lock, fixture) => {
      const lease = await lock().acquire({ owner: 'suite-owner-a', ttl })
      await fixture.break()
      assertCode(await lost(lease, 3 * ttl + 10_000), 'KEYDIFF_LOCK_FAILED')
    })
  })
}
