// @keydiff/s3/adapter: what an adapter that speaks the S3 protocol through another client
// (@keydiff/minio) shares with this one: how S3 errors are classified and retried, the
// option checks of the shared vocabulary, per-key helpers of the sinks and the check of an
// object against its plan. Nothing here imports the AWS SDK.
export { errorMessage, errorName, httpStatus, isRetryable, isRetryableKeyError, retryOptions, withRetry } from './retry.ts'
export type { RetryOptions, RetrySettings } from './retry.ts'
export { isUnreachable, s3SourceError } from './errors.ts'
export { optionChecks } from './check-options.ts'
export { sinkSettings } from './sink-settings.ts'
export type { SinkSettings } from './sink-settings.ts'
export type { OptionChecks } from './check-options.ts'
export { failed, mapLimit, succeeded, uniqueEntries } from './per-key.ts'
export { bareEtag, changedOutcome, changedSince, checkable, isChanged } from './plan-check.ts'
