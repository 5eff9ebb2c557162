import type { Document, Filter, MongoClient } from 'mongodb'
import { checkClient, checkName } from './client-option.ts'
import { keyShape, type KeyShape } from './key-template.ts'

/** Where the keys of a collection are: what the reference source and its look-up share. */
export interface MongoKeyDocumentsOptions {
  /** The user's connected (or connectable) client. */
  client: MongoClient
  /** Database holding the references. */
  database: string
  /** Collection holding the references. */
  collection: string
  /**
   * Dotted path of the field that holds the key; arrays on the way are unwound, so
   * `attachments.key` gives every attachment's key. Exactly one of `field` and `template`.
   * @default undefined
   */
  field?: string
  /**
   * Key built from several fields: `{datastoreTypeId}-{datastoreId}`. Array fields give every
   * combination. @default undefined
   */
  template?: string
  /** Only documents matching this filter hold references. @default {} */
  filter?: Filter<Document>
}

/** The options checked, the key shape, the fields to read, and the default name. */
export interface KeyDocuments {
  client: MongoClient
  database: string
  collection: string
  shape: KeyShape
  /** `_id` and the key fields: all a document is read for. */
  projection: Document
  /** `mongo:<database>.<collection>/<field or template>` */
  name: string
}

export function keyDocuments (options: MongoKeyDocumentsOptions, factory: string): KeyDocuments {
  const client = checkClient(options, factory)
  const database = checkName(options.database, 'database', factory, 'the database that holds the references')
  const collection = checkName(options.collection, 'collection', factory, 'the collection that holds the references')
  const shape = keyShape(options)
  const projection: Document = { _id: 1 }
  for (const path of shape.paths) projection[path] = 1
  return { client, database, collection, shape, projection, name: `mongo:${database}.${collection}/${options.field ?? options.template ?? ''}` }
}
