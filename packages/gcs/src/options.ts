import type { Storage } from '@google-cloud/storage'
import { InvalidOptionError } from '@keydiff/core'

/**
 * Options that name the user's client `storage`, its name before 0.2, instead of `client`:
 * every factory still takes them, for one release.
 */
export type LegacyStorageOptions<T extends { client: Storage }> = Omit<T, 'client'> & {
  /** @deprecated since 0.2: name it `client`, as in every keydiff adapter; `storage` goes in the next release. */
  storage: Storage
  client?: undefined
}

/**
 * A GCS factory's option checks, worded as in every adapter: a missing required option is a
 * TypeError naming the adapter, the factory and the option (`@keydiff/gcs gcsSource: option
 * bucket is required`); a value that is given but cannot be used is an InvalidOptionError.
 */
export class GcsOptions {
  readonly #where: string

  /** Checks that there are options at all; `factory` names the caller in messages. */
  constructor (factory: string, options: unknown) {
    this.#where = `@keydiff/gcs ${factory}`
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.#where}: options are required`)
  }

  invalid (option: string, why: string): InvalidOptionError {
    return new InvalidOptionError(option, `${why} (${this.#where})`)
  }

  /** The user's `Storage`, given as `client` or as its deprecated name `storage`. */
  client (options: { client?: Storage | undefined, storage?: Storage | undefined }): Storage {
    if (options.client !== undefined && options.storage !== undefined && options.client !== options.storage) throw this.invalid('client', 'given as client and as its deprecated alias storage, with different clients')
    const client = options.client ?? options.storage
    if (client === undefined || client === null) throw new TypeError(`${this.#where}: option client is required`)
    if (typeof client.bucket !== 'function') throw this.invalid('client', 'is not a Storage of @google-cloud/storage (it has no bucket method)')
    return client
  }

  bucket (value: string | undefined, option = 'bucket'): string {
    if (value === undefined || value === null) throw new TypeError(`${this.#where}: option ${option} is required`)
    if (typeof value !== 'string' || value === '') throw this.invalid(option, `${JSON.stringify(value)} is not a bucket name`)
    return value
  }

  /** A whole number from `min` to `max`, or `fallback` when not given. */
  count (option: string, value: number | undefined, fallback: number, { min = 1, max = Number.MAX_SAFE_INTEGER } = {}): number {
    if (value === undefined) return fallback
    if (!Number.isInteger(value) || value < min || value > max) throw this.invalid(option, `must be a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}, got ${String(value)}`)
    return value
  }

  /** An option or its deprecated alias, whichever is given; both given apart is an InvalidOptionError. */
  renamed<T> (option: string, value: T | undefined, alias: string, aliasValue: T | undefined): T | undefined {
    if (value !== undefined && aliasValue !== undefined && value !== aliasValue) throw this.invalid(option, `given as ${option} and as its deprecated alias ${alias}, with different values`)
    return value ?? aliasValue
  }
}
