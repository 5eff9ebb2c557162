import { brandError, KeydiffError, type KeydiffErrorOptions } from '../errors.ts'

/** The directory holds no reference index, or one of a format this version cannot read. */
export class IndexVersionError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.IndexVersionError')
  }

  readonly directory: string

  constructor (directory: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`reference index ${directory}: ${message}`, 'KEYDIFF_INDEX_VERSION', options)
    this.name = 'IndexVersionError'
    this.directory = directory
  }
}
