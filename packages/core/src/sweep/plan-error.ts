import { KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/** A plan file that cannot be trusted: edited or truncated (KEYDIFF_PLAN_CHECKSUM), or not a plan (KEYDIFF_PLAN_INVALID). */
export class PlanError extends KeydiffError {
  readonly path: string
  /** The line at fault, 1-based, when one is. */
  readonly line: number | undefined

  constructor (path: string, message: string, options: KeydiffErrorOptions & { code?: 'KEYDIFF_PLAN_CHECKSUM' | 'KEYDIFF_PLAN_INVALID', line?: number } = {}) {
    super(`plan ${path}${options.line === undefined ? '' : `:${options.line}`}: ${message}`, options.code ?? 'KEYDIFF_PLAN_INVALID', options)
    this.name = 'PlanError'
    this.path = path
    this.line = options.line
  }
}
