import type { ClientSession, Document } from 'mongodb'
import { AbortError, InvalidOptionError, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { keyDocuments, type MongoKeyDocumentsOptions } from './key-documents.ts'
import { mongoError } from './errors.ts'
import { rangeQuery, type MongoKeyRange } from './key-range.ts'

export interface MongoReferencesOptions extends MongoKeyDocumentsOptions {
  /** Documents per server round trip; each round trip's keys are yielded as one batch. @default 1000 */
  batchSize?: number
  /**
   * Ask the server to sort by `field` under the simple collation (byte order for strings)
   * and declare the source sorted, as `sorted` does in every adapter. Only with `field`; a
   * document holding an array there fails the scan, since an array sorts by one element.
   * @default false
   */
  sorted?: boolean
  /** @deprecated Renamed `sorted`, as in every adapter; `sort` goes in the next release. */
  sort?: boolean
  /**
   * Read at one point in time through a snapshot session. `auto` uses one where the server
   * accepts it (replica sets and sharded clusters) and reads without it otherwise; `true`
   * fails where it is refused. Snapshots last `minSnapshotHistoryWindowInSeconds` (300 s by
   * default) on the server. @default 'auto'
   */
  snapshot?: boolean | 'auto'
  /**
   * Read only the keys of this byte-order range `(after, upTo]` (and those `alsoMatching`
   * matches), selected by the query under the simple collation: see MongoKeyRange. Only with
   * `field`: a template's key is built from several fields and a range beside it is refused
   * (KEYDIFF_INVALID_OPTION). @default every document
   */
  range?: MongoKeyRange
  /** Expected number of keys, to size the Bloom filter (e.g. from `estimatedDocumentCount()`). @default undefined */
  estimatedCount?: number
  /** Names the source in errors and reports. @default `mongo:<database>.<collection>/<field or template>` */
  name?: string
  /** Stops the scan; iteration then throws KEYDIFF_ABORTED. @default undefined */
  signal?: AbortSignal
}

const SNAPSHOT_REFUSED = new Set(['IllegalOperation', 'InvalidOptions', 'NotImplemented', 'CommandNotSupported', 'OperationNotSupportedInTransaction'])

/**
 * References from a collection: the keys held in its documents at a field path or through
 * a key template. `scanStartedAt` is taken before the first query, so the sweep's time
 * fence is conservative even without a snapshot.
 */
export function mongoReferences (options: MongoReferencesOptions): KeySource {
  const { client, database, collection, shape, projection, name: defaultName } = keyDocuments(options, 'mongoReferences')
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(options.batchSize)}`)
  const sort = options.sorted ?? options.sort ?? false
  if (sort && options.field === undefined) throw new InvalidOptionError('sorted', 'a template key is not in byte order of any field; sort only with field')
  const snapshot = options.snapshot ?? 'auto'
  const name = options.name ?? defaultName
  const range = rangeQuery(options.range, options.field)
  const filter = range === undefined ? options.filter ?? {} : options.filter === undefined ? range.filter : { $and: [options.filter, range.filter] }
  // the range compares strings by their bytes, as the sort does
  const simple = sort || range !== undefined

  async function * scan (): AsyncGenerator<KeyEntry[]> {
    const coll = client.db(database).collection(collection)
    const open = (session: ClientSession | undefined) => coll.find(filter, {
      projection,
      batchSize,
      ...(session === undefined ? {} : { session }),
      ...(sort ? { sort: { [options.field as string]: 1 } } : {}),
      ...(simple ? { collation: { locale: 'simple' } } : {})
    })
    let session: ClientSession | undefined
    try {
      if (snapshot !== false) session = client.startSession({ snapshot: true })
      let cursor = open(session)
      let document: Document | null
      try {
        document = await cursor.tryNext()
      } catch (error) {
        if (snapshot !== 'auto' || !refusesSnapshot(error)) throw error
        await cursor.close().catch(() => {})
        await session?.endSession()
        session = undefined
        cursor = open(undefined)
        document = await cursor.tryNext()
      }
      while (document !== null) {
        // One await per server batch, not per document: the buffered rest is taken in a loop.
        const batch: KeyEntry[] = []
        take(document, batch)
        for (const buffered of cursor.readBufferedDocuments()) take(buffered, batch)
        if (batch.length > 0) yield batch
        if (options.signal?.aborted === true) {
          await cursor.close().catch(() => {})
          throw new AbortError(`${name}: the scan was aborted`, { cause: options.signal.reason })
        }
        document = await cursor.tryNext()
      }
    } catch (error) {
      throw mongoError(name, client, error)
    } finally {
      await session?.endSession().catch(() => {})
    }
  }

  const take = (document: Document, batch: KeyEntry[]): void => {
    const keys = shape.keysOf(document, name)
    if (sort && keys.length > 1) {
      throw new InvalidOptionError('sorted', `${name}: document ${String(document._id)} holds an array of ${keys.length} keys at ${options.field as string}; an array sorts by one element, so it cannot be read in byte order`)
    }
    for (const key of keys) if (range === undefined || range.keeps(key)) batch.push({ key })
  }

  return keySource(scan, { name, sorted: sort, estimatedCount: options.estimatedCount, supports: { controlCharacters: true } })
}

function refusesSnapshot (error: unknown): boolean {
  const codeName = (error as { codeName?: unknown }).codeName
  return typeof codeName === 'string' && SNAPSHOT_REFUSED.has(codeName)
}
