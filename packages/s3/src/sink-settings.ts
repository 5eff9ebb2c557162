import type { OptionChecks } from './check-options.ts'
import { retryOptions, type RetryOptions, type RetrySettings } from './retry.ts'

/** What every S3-family sink takes beside its client and bucket (each documents them in its own terms). */
export interface SinkSettings extends RetrySettings {
  /** @default true */
  checkUnchanged?: boolean
  /** @default 16 */
  concurrency?: number
}

/** A sink's settings, checked, with their defaults. */
export function sinkSettings (check: OptionChecks, options: SinkSettings): { retry: RetryOptions, concurrency: number, checkUnchanged: boolean } {
  return {
    retry: retryOptions(check, options),
    concurrency: check.positiveInteger('concurrency', options.concurrency, 16),
    checkUnchanged: options.checkUnchanged ?? true
  }
}
