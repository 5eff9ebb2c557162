import { parseDuration } from '@keydiff/core'
import type { KeywordDefinition } from 'ajv'

/**
 * The `duration` schema keyword: a value is a duration exactly when the library's own parser
 * (the one `--grace` goes through) takes it, so a config spells durations as every flag and
 * option does: `"36h"`, `"7d"`, `"90m"`, `"0h"`, and zero also as `"0"` or `0`. A number other
 * than zero is refused, since it names no unit (the library would read it as milliseconds).
 * `"positive"` refuses zero too, for timeouts, where zero would mean waiting forever.
 */
export const durationKeyword: KeywordDefinition = {
  keyword: 'duration',
  type: ['string', 'number'],
  schemaType: 'string',
  errors: false,
  validate: (kind: 'any' | 'positive', value: string | number): boolean => {
    if (typeof value === 'number' && value !== 0) return false
    const ms = durationOrUndefined(value)
    return ms !== undefined && (kind === 'any' || ms > 0)
  }
}

/** A configured duration in milliseconds, or undefined when it is not one. */
export function durationOrUndefined (value: string | number): number | undefined {
  try {
    return parseDuration(value, 'duration')
  } catch {
    return undefined
  }
}
