import { union, type KeySource } from '@keydiff/core'
import { awaitable, type ReferencesSource } from './planned-source.ts'

/** A snapshot the parts of a union read in: opened when the union's scan starts. */
export interface UnionSnapshot {
  readonly startedAt: Date
  release: () => Promise<void>
}

export interface SnapshotUnionInit<S extends UnionSnapshot> {
  /** @default `union(<part names>)` */
  name?: string | undefined
  sorted: boolean
  /** The parts, given the snapshot of the scan in progress (undefined outside a scan). */
  parts: (snapshot: () => S | undefined) => ReferencesSource[]
  open: () => Promise<S>
}

/**
 * Several reference sources of one database read as one, all in one snapshot opened when the
 * scan starts and ended when it ends, so a bucket they share is never cleaned against a
 * partial or inconsistent set. Sorted parts are merged; otherwise read one after another.
 */
export function snapshotUnion<S extends UnionSnapshot> (init: SnapshotUnionInit<S>): ReferencesSource {
  let snapshot: S | undefined
  const parts = init.parts(() => snapshot)
  const joined = union(...parts)
  let scanStartedAt: Date | undefined
  const make = (): KeySource => ({
    name: init.name ?? joined.name,
    sorted: init.sorted,
    get estimatedCount () {
      const counts = parts.map(part => part.estimatedCount)
      return counts.every(count => typeof count === 'number') ? (counts as number[]).reduce((a, b) => a + b, 0) : undefined
    },
    get scanStartedAt () { return scanStartedAt },
    async * [Symbol.asyncIterator] () {
      snapshot = await init.open()
      scanStartedAt = snapshot.startedAt
      try {
        yield * joined
      } finally {
        await snapshot.release()
        snapshot = undefined
      }
    }
  })
  return awaitable(make, async () => await Promise.all(parts.map(async part => await part)))
}
