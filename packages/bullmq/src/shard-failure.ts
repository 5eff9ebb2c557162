import { KeydiffError, isRetryableCode, type KeydiffErrorCode } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import { UnrecoverableError } from 'bullmq'

const CODE_AT_END = / \((KEYDIFF_[A-Z_]+)\)$/

/**
 * The error a job fails with, as BullMQ keeps it (a message): a keydiff error keeps its code at
 * the end, and one that the same inputs would give again is not retried.
 */
export function asJobFailure (error: unknown): Error {
  if (!(error instanceof KeydiffError)) return error instanceof Error ? error : new Error(String(error))
  const message = `${error.message} (${error.code})`
  return isRetryableCode(error.code) ? new Error(message, { cause: error }) : new UnrecoverableError(message)
}

/**
 * A distributed run that failed because one of its jobs failed: no manifest, no partial plan.
 * It keeps the code of the job's own failure, and names the shard.
 */
export class ShardFailedError extends KeydiffError {
  /** The failed job's reason, as its worker reported it. */
  readonly reason: string
  /**
   * With `keepFinished`: where the finished parts and the ranges still to plan are recorded
   * (`<shared>/<run>/unfinished.json`), for `planDistributed({ run, resume: true })`.
   */
  unfinished: { path: string, missing: KeyRange[] } | undefined

  constructor (what: string, reason: string) {
    const code = (CODE_AT_END.exec(reason)?.[1] ?? 'KEYDIFF_SOURCE_FAILED') as KeydiffErrorCode
    super(`[keydiff] [bullmq] ${what} failed: ${reason.replace(CODE_AT_END, '')}`, code)
    this.name = 'ShardFailedError'
    this.reason = reason
    this.unfinished = undefined
  }
}
