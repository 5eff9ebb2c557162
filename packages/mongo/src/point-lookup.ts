import { InvalidOptionError, KeydiffError, SourceError, type PointLookup } from '@keydiff/core'
import { keyDocuments, type MongoKeyDocumentsOptions } from './key-documents.ts'
import { mongoError } from './errors.ts'

/** The same `client`, `database`, `collection`, `field` or `template` and `filter` as the reference source's. */
export interface MongoLookupOptions extends MongoKeyDocumentsOptions {
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
  const { client, database, collection, shape, projection, name: defaultName } = keyDocuments(options, 'mongoLookup')
  const batchSize = options.batchSize ?? 500
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(options.batchSize)}`)
  const name = options.name ?? defaultName

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
