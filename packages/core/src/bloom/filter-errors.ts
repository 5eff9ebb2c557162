import { brandError, KeydiffError } from '../errors.ts'
import type { KeydiffErrorOptions } from '../errors.ts'

/** Filter bytes that are not a keydiff filter, of another version, cut short or corrupted. */
export class FilterFormatError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.FilterFormatError')
  }

  /** Where the bytes came from: a file path, or `bytes`. */
  readonly source: string

  constructor (source: string, message: string, options: KeydiffErrorOptions = {}) {
    super(`Bloom filter ${source}: ${message}`, 'KEYDIFF_FILTER_FORMAT', options)
    this.name = 'FilterFormatError'
    this.source = source
  }
}

/** Two filters, or a filter and its bytes, that do not have the same shape. */
export class FilterShapeError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.FilterShapeError')
  }

  constructor (message: string, options: KeydiffErrorOptions = {}) {
    super(`Bloom filter shape: ${message}`, 'KEYDIFF_FILTER_SHAPE', options)
    this.name = 'FilterShapeError'
  }
}
