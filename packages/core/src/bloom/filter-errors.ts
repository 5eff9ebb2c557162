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

/**
 * Bloom mode cannot keep its promise (find all but a false-positive-rate share of the
 * orphans) in its memory budget: one filter of every reference would exceed its share of the
 * budget, and the references cannot be read in several passes (they are not files, or one
 * changed between passes). Raised before any candidate is read when the count is known.
 */
export class BloomBudgetError extends KeydiffError {
  static {
    brandError(this, 'keydiff.error.BloomBudgetError')
  }

  /** The `memory` budget at which one pass holds every reference at the rate; undefined when no single filter can. */
  readonly neededMemory: number | undefined
  /** The references counted (or estimated) when the run gave up. */
  readonly references: number

  constructor (message: string, neededMemory: number | undefined, references: number, options: KeydiffErrorOptions = {}) {
    super(`bloom mode: ${message}`, 'KEYDIFF_MEMORY_EXCEEDED', options)
    this.name = 'BloomBudgetError'
    this.neededMemory = neededMemory
    this.references = references
  }
}
