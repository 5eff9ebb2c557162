import { InvalidOptionError } from '@keydiff/core'

/**
 * A byte-order key range `(after, upTo]` that a reference source reads, and the keys outside
 * it it reads too. Each adapter declares this shape as its own public type.
 */
export interface KeyRangeFields {
  after?: string | undefined
  upTo?: string | undefined
  alsoMatching?: string | undefined
}

/**
 * The range checked, or undefined when it bounds nothing (no bound: every row is read, and
 * `alsoMatching` adds none). Bounds are strings; `after >= upTo` is an empty range, in which
 * only the rows matching `alsoMatching` are read.
 */
export function checkedRange (range: KeyRangeFields | undefined): KeyRangeFields | undefined {
  if (range === undefined) return undefined
  if (range === null || typeof range !== 'object') throw new InvalidOptionError('range', 'must be an object { after?, upTo?, alsoMatching? }')
  for (const bound of ['after', 'upTo', 'alsoMatching'] as const) {
    const value = range[bound]
    if (value !== undefined && typeof value !== 'string') throw new InvalidOptionError('range', `${bound} must be a string, got ${typeof value}`)
  }
  if (range.alsoMatching === '') throw new InvalidOptionError('range', 'alsoMatching must be a non-empty pattern (it would match every key)')
  if (range.after === undefined && range.upTo === undefined) return undefined
  return range
}

/**
 * The refusal for a range beside a key built from the row: the built key's order is not the
 * column's, so no condition on the column selects the range.
 */
export function rangeWithMapRow (): InvalidOptionError {
  return new InvalidOptionError('range', 'mapRow builds the key from the row, whose order is not the key column\'s: no SQL condition selects a range of the built keys; filter the source\'s keys instead')
}
