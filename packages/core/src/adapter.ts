// @keydiff/core/adapter: what an adapter author needs beyond the user API. The contracts an
// adapter satisfies (src/contracts/: KeySource, Sink, Lock, PointLookup, AuditSink) and the
// error classes it throws are in the main entry, since users hold and catch them too.

export { keySource, toKeySource, isKeySource } from './keys/key-source.ts'
export type { KeySourceInit } from './keys/key-source.ts'
export { deriveSource } from './keys/derive-source.ts'

export { retry, sleep } from './util/retry.ts'
export type { RetryOptions } from './util/retry.ts'
export { backoffDelay } from './sweep/backoff.ts'
export type { BackoffOptions } from './sweep/backoff.ts'

export { createLockInfo, defaultLockOwner, parseLockInfo } from './lock/lock-info.ts'
export { DEFAULT_LOCK_TTL, keepLease, leaseExpired, leaseExpiry, leaseTerms } from './lock/lease.ts'
export type { KeepLeaseOptions, LeaseHold, LeaseTerms } from './lock/lease.ts'
export { objectLock } from './lock/object-lock.ts'
export type { LockObject, LockObjectStore, ObjectLockOptions } from './lock/object-lock.ts'
export { sessionLock } from './lock/session-lock.ts'
export type { LockSession, SessionLockOptions } from './lock/session-lock.ts'

// A source that can hand the engine its keys as byte ranges (a database's COPY output) carries this.
export { LINE_CHUNKS, type LineChunk } from './contracts/key-source.ts'
export { lineChunkBatches, appendChunkEntries } from './engine/line-chunk-batches.ts'

// What a store driver is, for a package the CLI loads by `type`, and the directory store's own.
export type { StoreDriver, StoreDriverContext, StoreDriverSupports, OpenedStore, StoreSection, ActionSection, ConfigSchema, KeyRange, CandidatesOptions, SinkOverrides } from './contracts/store-driver.ts'
export { directoryDriver } from './store/directory-driver.ts'
export type { DirectoryStoreSection } from './store/directory-driver.ts'
export { withinRange } from './store/within-range.ts'
export { splitPointsByLevel, type SplitPointsByLevelOptions } from './store/split-points-by-level.ts'
export { MAY_RESOLVE_ELSEWHERE, mayResolveElsewhere } from './location/may-resolve-elsewhere.ts'
export { parseKeyTemplate, templateKeys, splitKey, rowMapper, type KeyTemplate } from './keys/key-template.ts'
// A distributed run plans its shards with the guards off and applies them once to the merged counts.
export { checkGuards, guardRecord, planGuardLimits, type GuardCounts, type PlanGuardOptions, type PlanGuardLimits } from './sweep/plan-guards.ts'
