// A GCS JSON API stand-in, published so that users' own tests of their sweeps can run
// against the same server as this package's tests (as core publishes its conformance suite).
export { startGcsServer } from './testing/gcs-server.ts'
export type { GcsTestServer, GcsServerOptions, FaultHook, RequestInfo } from './testing/gcs-server.ts'
export { GcsStore } from './testing/gcs-store.ts'
export type { StoredBucket, StoredObject } from './testing/gcs-store.ts'
