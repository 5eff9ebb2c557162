import type { MongoClient } from 'mongodb'
import { InvalidOptionError } from '@keydiff/core'

/**
 * The checks every factory of this package makes first: its options are an object, and
 * `client` is there (a TypeError naming the package, factory and option) and is a MongoClient
 * (an InvalidOptionError otherwise).
 */
export function checkClient (options: { client?: MongoClient | undefined } | null | undefined, factory: string): MongoClient {
  if (options === null || typeof options !== 'object') throw new TypeError(`@keydiff/mongo ${factory}: options must be an object`)
  const client = options.client
  if (client === undefined || client === null) throw new TypeError(`@keydiff/mongo ${factory}: option client is required`)
  if (typeof client.db !== 'function') throw new InvalidOptionError('client', `@keydiff/mongo ${factory}: must be a MongoClient`)
  return client
}

/** A name option such as `database`: a TypeError when missing, an InvalidOptionError when empty. */
export function checkName (value: string | undefined, option: string, factory: string, what: string): string {
  if (value === undefined || value === null) throw new TypeError(`@keydiff/mongo ${factory}: option ${option} is required`)
  if (typeof value !== 'string' || value === '') throw new InvalidOptionError(option, `name ${what}`)
  return value
}
