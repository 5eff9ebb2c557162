import { InvalidOptionError } from '@keydiff/core'

/**
 * A factory's option checks, the same in every S3-family adapter: a required option that is
 * missing (undefined or null) is a TypeError naming the adapter, the factory and the option
 * (`@keydiff/s3 s3Source: option bucket is required`); a value that is given but cannot be
 * used is core's InvalidOptionError (`KEYDIFF_INVALID_OPTION`), naming the option.
 */
export interface OptionChecks {
  /** The value of a required option; throws the TypeError when it is missing. */
  required: <T>(option: string, value: T | null | undefined) => T
  /** A required bucket name: a non-empty string. */
  bucket: (value: string | null | undefined, option?: string) => string
  /** A whole number from 1 to `max`, or `fallback` when not given. */
  positiveInteger: (option: string, value: number | undefined, fallback: number, max?: number) => number
  /** A whole number from 0, or `fallback` when not given. */
  nonNegativeInteger: (option: string, value: number | undefined, fallback: number) => number
  /**
   * An option under its name or under its deprecated alias (kept for one release): the one
   * given, an InvalidOptionError when both are given with different values.
   */
  renamed: <T>(option: string, value: T | undefined, alias: string, aliasValue: T | undefined) => T | undefined
  /** An InvalidOptionError for the option, naming where it was given. */
  invalid: (option: string, why: string) => InvalidOptionError
}

/**
 * The checks of `factory` (such as `s3Source`) of `adapter` (such as `@keydiff/s3`);
 * throws the TypeError when the options object itself is missing.
 */
export function optionChecks (adapter: string, factory: string, options: unknown): OptionChecks {
  const where = `${adapter} ${factory}`
  if (options === null || typeof options !== 'object') throw new TypeError(`${where}: options are required`)
  const invalid = (option: string, why: string): InvalidOptionError => new InvalidOptionError(option, `${why} (${where})`)
  const required = <T>(option: string, value: T | null | undefined): T => {
    if (value === undefined || value === null) throw new TypeError(`${where}: option ${option} is required`)
    return value
  }
  const integer = (option: string, value: number | undefined, fallback: number, min: number, max: number): number => {
    if (value === undefined) return fallback
    if (!Number.isInteger(value) || value < min || value > max) throw invalid(option, `${String(value)} is not a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}`)
    return value
  }
  return {
    required,
    bucket (value, option = 'bucket') {
      const name = required(option, value)
      if (typeof name !== 'string' || name === '') throw invalid(option, `${JSON.stringify(name)} is not a bucket name`)
      return name
    },
    positiveInteger: (option, value, fallback, max = Number.MAX_SAFE_INTEGER) => integer(option, value, fallback, 1, max),
    nonNegativeInteger: (option, value, fallback) => integer(option, value, fallback, 0, Number.MAX_SAFE_INTEGER),
    renamed (option, value, alias, aliasValue) {
      if (value !== undefined && aliasValue !== undefined && value !== aliasValue) throw invalid(option, `given as ${option} and as its deprecated alias ${alias}, with different values`)
      return value ?? aliasValue
    },
    invalid
  }
}
