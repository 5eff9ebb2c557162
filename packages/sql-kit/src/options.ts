import { InvalidOptionError } from '@keydiff/core'

/** Who checks the options, for messages: `@keydiff/postgres postgresReferences`. */
export interface Caller {
  readonly adapter: string
  readonly factory: string
}

/** The options object itself; anything else is a programmer's mistake (a TypeError). */
export function optionsOf<T extends object> (options: T, caller: Caller): T {
  if (options === null || typeof options !== 'object') throw new TypeError(`${caller.adapter} ${caller.factory}: options must be an object`)
  return options
}

/** A required option: missing is a TypeError naming adapter, factory and option. */
export function required<T> (value: T | undefined, option: string, caller: Caller): T {
  if (value === undefined || value === null) throw new TypeError(`${caller.adapter} ${caller.factory}: option ${option} is required`)
  return value
}

/**
 * The user's client: `client`, or the deprecated `pool` it replaced. Missing is a TypeError;
 * a value that is not the client `usable` expects is an InvalidOptionError.
 */
export function clientOption<C> (options: { client?: C | undefined, pool?: C | undefined }, caller: Caller, usable: (client: C) => boolean, expected: string): C {
  const client = required(optionsOf(options, caller).client ?? options.pool, 'client', caller)
  if (!usable(client)) throw new InvalidOptionError('client', `${caller.adapter} ${caller.factory}: must be ${expected}`)
  return client
}

/** A count such as `batchSize`: a positive integer, or an InvalidOptionError. */
export function positiveInteger (value: number, option: string): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, `must be a positive integer, got ${String(value)}`)
  return value
}
