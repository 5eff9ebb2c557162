// @keydiff/s3/testing: the s3rver and the fault proxy that this package's tests (and
// @keydiff/minio's) run against, published so that users' own tests of their sweeps can run
// against the same, as core publishes its conformance suite.
export { startS3rver, S3RVER_CREDENTIALS } from './testing/s3rver.ts'
export type { S3rverServer, S3rverOptions } from './testing/s3rver.ts'
export { uniqueBucket } from './testing/buckets.ts'
export { startFaultProxy, isListing, refuseKeys } from './testing/fault-proxy.ts'
export type { FaultProxy, FaultRule, Fault, ProxiedRequest } from './testing/fault-proxy.ts'
