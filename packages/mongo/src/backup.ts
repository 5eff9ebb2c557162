import { createWriteStream } from 'node:fs'
import { mkdir, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { createGzip } from 'node:zlib'
import { BSON, type MongoClient } from 'mongodb'
import { isSystemCollection } from './system-names.ts'

/**
 * Called before a database or collection is dropped; the drop happens only when it
 * resolves. A rejection fails that key (reported, not dropped).
 */
export type BackupHook = (target: BackupTarget, context: { client: MongoClient, signal?: AbortSignal | undefined }) => Promise<void>

export interface BackupTarget {
  readonly database: string
  /** Set when a single collection is dropped. */
  readonly collection?: string | undefined
}

export interface JsonLinesBackupOptions {
  /** Directory that receives one `<database>.jsonl.gz` (or `<database>.<collection>.jsonl.gz`) per target. */
  directory: string
  /** Documents per server round trip. @default 1000 */
  batchSize?: number
}

/**
 * A backup hook that writes every document of the target, as canonical Extended JSON lines
 * (`{"collection":...,"document":{...}}`, types kept: ObjectId, UUID, dates, decimals), to a
 * gzip file. Written under a temporary name and renamed when complete, so a file that
 * exists is whole.
 */
export function jsonLinesBackup (options: JsonLinesBackupOptions): BackupHook {
  const batchSize = options.batchSize ?? 1000
  return async (target, { client, signal }) => {
    await mkdir(options.directory, { recursive: true })
    const base = target.collection === undefined ? target.database : `${target.database}.${target.collection}`
    const file = join(options.directory, `${base}.jsonl.gz`)
    const partial = `${file}.partial`
    const db = client.db(target.database)
    const names = target.collection !== undefined
      ? [target.collection]
      : (await db.listCollections({}, { nameOnly: true }).toArray()).map(collection => collection.name).filter(name => !isSystemCollection(name))
    async function * lines (): AsyncGenerator<string> {
      for (const name of names) {
        const cursor = db.collection(name).find({}, { batchSize })
        let chunk: string[] = []
        for await (const document of cursor) {
          chunk.push(`{"collection":${JSON.stringify(name)},"document":${BSON.EJSON.stringify(document, { relaxed: false })}}\n`)
          if (chunk.length >= batchSize) {
            yield chunk.join('')
            chunk = []
          }
        }
        if (chunk.length > 0) yield chunk.join('')
      }
    }
    await pipeline(Readable.from(lines()), createGzip(), createWriteStream(partial), signal === undefined ? {} : { signal })
    await rename(partial, file)
  }
}
