import { brandError, KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/**
 * A plan that must not be acted on: edited or truncated (KEYDIFF_PLAN_CHECKSUM), not a plan
 * or of another version (KEYDIFF_PLAN_INVALID), or made for another store than the sink's,
 * or for none (KEYDIFF_PLAN_STORE).
 */
export class PlanError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.PlanError')
  }

  readonly path: string
  /** The line at fault, 1-based, when one is. */
  readonly line: number | undefined

  constructor (path: string, message: string, options: KeydiffErrorOptions & { code?: 'KEYDIFF_PLAN_CHECKSUM' | 'KEYDIFF_PLAN_INVALID' | 'KEYDIFF_PLAN_STORE', line?: number } = {}) {
    super(`plan ${path}${options.line === undefined ? '' : `:${options.line}`}: ${message}`, options.code ?? 'KEYDIFF_PLAN_INVALID', options)
    this.name = 'PlanError'
    this.path = path
    this.line = options.line
  }
}
