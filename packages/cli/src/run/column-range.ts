import { compareKeys } from '@keydiff/core'
import { MAY_RESOLVE_ELSEWHERE, mayResolveElsewhere, type KeyRange } from '@keydiff/core/adapter'

// Any character, newlines included, in every dialect (JavaScript's `.` stops at \r and \u2028 too).
const ANY = '([^\\n]|\\n)'
/**
 * MAY_RESOLVE_ELSEWHERE of the rest of a column value after its stripped prefix, written to
 * follow `^<prefix>`: the prefix itself (`https://cdn/`) holds what the pattern looks for.
 */
const REST_MAY_RESOLVE_ELSEWHERE = `(${ANY}*[%:\\\\]|/|${ANY}*/$|${ANY}*//|(${ANY}*/)?\\.\\.?(/|$))`

/** How a reference's column value becomes a store key: `stripPrefix` removed, then `prefix` added. */
export interface KeyMapping {
  prefix?: string | undefined
  stripPrefix?: string | undefined
  onMismatch?: 'error' | 'drop' | 'keep' | undefined
}

/** A range of column values, as the database adapters take it. */
export interface ColumnRange {
  after?: string
  upTo?: string
  alsoMatching: string
}

/**
 * The column values a shard of the store's key range `(after, upTo]` must read: those whose
 * store key lies in the range, and every one whose store key may resolve elsewhere. Adding a
 * prefix and removing one preserve byte order, so the range maps to a range of the column.
 * Undefined when no query can select them: the range bounds nothing, a key that lacks
 * `stripPrefix` passes on as written (`onMismatch: "keep"` mixes two orders), or the prefix
 * may resolve elsewhere whatever follows it (every key would be read anyway).
 */
export function columnRange (range: KeyRange, mapping: KeyMapping): ColumnRange | undefined {
  if (range.after === undefined && range.upTo === undefined) return undefined
  const prefix = mapping.prefix ?? ''
  const strip = mapping.stripPrefix ?? ''
  if (strip !== '' && mapping.onMismatch === 'keep') return undefined
  // a prefix that may resolve elsewhere with whatever follows it leaves no range to read
  if (prefix !== '' && mayResolveElsewhere(`${prefix}x`)) return undefined
  const after = lowerBound(range.after, prefix)
  const upTo = upperBound(range.upTo, prefix)
  // `prefix + rest` may resolve elsewhere only where `rest` may (the prefix may not)
  // the key that is the prefix alone (`img/` from an empty rest) may resolve elsewhere where longer ones do not
  const bare = mayResolveElsewhere(prefix) ? `|^${escapePattern(strip)}$` : ''
  const alsoMatching = (strip === '' ? MAY_RESOLVE_ELSEWHERE : `^${escapePattern(strip)}${REST_MAY_RESOLVE_ELSEWHERE}`) + bare
  if (after === EMPTY || upTo === EMPTY) return { after: '', upTo: '', alsoMatching }
  return {
    ...(after === undefined ? {} : { after: strip + after }),
    ...(upTo === undefined ? {} : { upTo: strip + upTo }),
    alsoMatching
  }
}

const EMPTY = Symbol('no key of the range has the prefix')

/** The lowest store key `prefix + rest` must pass, as a bound on `rest`. */
function lowerBound (after: string | undefined, prefix: string): string | undefined | typeof EMPTY {
  if (after === undefined) return undefined
  if (after.startsWith(prefix)) return after.slice(prefix.length)
  // below the prefix: every key with it is above; past it (and not a key with it): none is
  return compareKeys(after, prefix) < 0 ? undefined : EMPTY
}

/** The highest store key `prefix + rest` may reach, as a bound on `rest`. */
function upperBound (upTo: string | undefined, prefix: string): string | undefined | typeof EMPTY {
  if (upTo === undefined) return undefined
  if (upTo.startsWith(prefix)) return upTo.slice(prefix.length)
  return compareKeys(upTo, prefix) < 0 ? EMPTY : undefined
}

/** Text matched as written, by every dialect: each ASCII character that is not a letter or digit escaped. */
function escapePattern (text: string): string {
  return text.replace(/[^A-Za-z0-9\u0080-\uFFFF]/g, '\\$&')
}
