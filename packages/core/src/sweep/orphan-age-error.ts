import { brandError, KeydiffError, type KeydiffErrorCode, type KeydiffErrorOptions } from '../errors.ts'

/**
 * The orphan-age ledger cannot be used: another run has it open (`KEYDIFF_LOCK_HELD`), or it
 * was written by another keydiff or damaged outside keydiff (`KEYDIFF_INDEX_VERSION`, the code
 * of kept state this version cannot read). Deleting the directory is always safe: every
 * orphan's clock starts again, so nothing is planned sooner.
 */
export class OrphanAgeError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.OrphanAgeError')
  }

  readonly directory: string

  constructor (directory: string, message: string, options: KeydiffErrorOptions & { code?: KeydiffErrorCode } = {}) {
    super(`orphan-age ledger ${directory}: ${message}`, options.code ?? 'KEYDIFF_INDEX_VERSION', options)
    this.name = 'OrphanAgeError'
    this.directory = directory
  }
}
