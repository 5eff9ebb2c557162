import type { Document, Filter, MongoClient } from 'mongodb'
import { InvalidOptionError, KeydiffError, SourceError, type PointLookup } from '@keydiff/core'
import { checkClient, checkName } from './client-option.ts'
import { keyShape } from './key-template.ts'
import { mongoError } from './errors.ts'

export interface MongoLookupOptions {
  client: MongoClient
  database: string
  collection: string
  /** The same field path as the reference source's. Exactly one of `field` and `template`. @default undefined */
  field?: string
  /** The same key template as the reference source's. @default undefined */
  template?: string
  /** The same filter as the reference source's: a key counts only in matching documents. @default {} */
  filter?: Filter<Document>
  /** Keys per `$in` query. @default 500 */
  batchSize?: number
  /** @default `mongo:<database>.<collection>/<field or template>` */
  name?: string
}

/**
 * Re-checks keys right before the sweep acts: which of them are referenced now. Asks with
 * `$in` (or, for a template, one clause per way a key splits into its fields) in batches,
 * and renders the found documents by the same rule as the source, so the answer is exact.
 */
export function mongoLookup (options: MongoLookupOptions): PointLookup {
  const client = checkClient(options, 'mongoLookup')
  const database = checkName(options.database, 'database', 'mongoLookup', 'the database that holds the references')
  const collection = checkName(options.collection, 'collection', 'mongoLookup', 'the collection that holds the references')
  const shape = keyShape(options)
  const batchSize = options.batchSize ?? 500
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(options.batchSize)}`)
  const name = options.name ?? `mongo:${database}.${collection}/${options.field ?? options.template ?? ''}`
  const projection: Document = { _id: 1 }
  for (const path of shape.paths) projection[path] = 1

  return {
    name,
    has: async (keys) => {
      const found = new Set<string>()
      const coll = client.db(database).collection(collection)
      try {
        for (let i = 0; i < keys.length; i += batchSize) {
          const chunk = keys.slice(i, i + batchSize)
          const wanted = new Set(chunk)
          const query = options.filter === undefined ? shape.lookupFilter(chunk) : { $and: [options.filter, shape.lookupFilter(chunk)] }
          for await (const document of coll.find(query, { projection, batchSize: 1000 })) {
            for (const key of shape.keysOf(document, name)) if (wanted.has(key)) found.add(key)
          }
        }
      } catch (error) {
        if (error instanceof KeydiffError) throw error
        const failure = mongoError(`${name} re-check`, client, error)
        if (failure.code === 'KEYDIFF_CONNECTION_FAILED') throw failure
        throw new SourceError(name, `re-check failed: ${(error as Error).message}`, { cause: error })
      }
      return found
    }
  }
}
