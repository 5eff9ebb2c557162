import type { MongoClient } from 'mongodb'
import { InvalidOptionError, type KeyEntry, type Sink, type SinkApplyOptions, type SinkOutcome } from '@keydiff/core'
import { checkClient, checkName } from './client-option.ts'
import type { BackupHook } from './backup.ts'
import { activeWithin, type IdleGuardOptions } from './idle-guard.ts'
import { isSystemCollection, isSystemDatabase } from './system-names.ts'

export interface MongoDropDatabaseSinkOptions {
  client: MongoClient
  /** Runs before each drop; the database is dropped only when it resolves. @default none */
  backup?: BackupHook
  /**
   * Refuse to drop a database used within a window (see IdleGuardOptions); `false` turns the
   * guard off. @default { window: 15 minutes, probes: [currentOpActivity, lastInsertActivity] }
   */
  idle?: IdleGuardOptions | false
  /** Databases per apply call. @default 50 */
  maxBatch?: number
}

export interface MongoDropCollectionSinkOptions {
  client: MongoClient
  /** The database whose collections are dropped. */
  database: string
  /** Runs before each drop; the collection is dropped only when it resolves. @default none */
  backup?: BackupHook
  /** Collections per apply call. @default 100 */
  maxBatch?: number
}

/**
 * Drops whole databases (the keys are database names): a system database is refused, a
 * database that no longer exists counts as done (so a resumed plan acts nothing twice and
 * never backs up an empty database over a real backup), a database in use within the
 * idle window is refused, and the backup hook runs before the drop.
 */
export function mongoDropDatabaseSink (options: MongoDropDatabaseSinkOptions): Sink {
  const client = checkClient(options, 'mongoDropDatabaseSink')
  const idle = options.idle === false ? undefined : (options.idle ?? {})
  const maxBatch = positive('maxBatch', options.maxBatch ?? 50)
  return {
    name: 'drop-database:mongo',
    action: 'drop-database',
    maxBatch,
    apply: async (batch, applyOptions = {}) => {
      if (batch.length === 0) return []
      const existing = new Set((await client.db('admin').admin().listDatabases({ nameOnly: true })).databases.map(database => database.name))
      return await eachKey(batch, applyOptions, async (database) => {
        if (isSystemDatabase(database)) return { ok: false, error: `${database} is a system database and is never dropped`, retryable: false }
        if (!existing.has(database)) return { ok: true }
        if (idle !== undefined) {
          const busy = await activeWithin(client, database, idle)
          if (busy !== undefined) return { ok: false, error: busy, retryable: false }
        }
        if (options.backup !== undefined) await step('backup', () => options.backup?.({ database }, { client, signal: applyOptions.signal }))
        await step('dropDatabase', () => client.db(database).dropDatabase())
        return { ok: true }
      })
    }
  }
}

/** Drops collections of one database (the keys are collection names), backup first. */
export function mongoDropCollectionSink (options: MongoDropCollectionSinkOptions): Sink {
  const client = checkClient(options, 'mongoDropCollectionSink')
  const database = checkName(options.database, 'database', 'mongoDropCollectionSink', 'the database whose collections are dropped')
  const maxBatch = positive('maxBatch', options.maxBatch ?? 100)
  return {
    name: `drop-collection:mongo/${database}`,
    action: 'drop-collection',
    maxBatch,
    apply: async (batch, applyOptions = {}) => {
      if (batch.length === 0) return []
      const db = client.db(database)
      const existing = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map(collection => collection.name))
      return await eachKey(batch, applyOptions, async (collection) => {
        if (isSystemCollection(collection)) return { ok: false, error: `${database}.${collection} is a system collection and is never dropped`, retryable: false }
        if (!existing.has(collection)) return { ok: true }
        if (options.backup !== undefined) await step('backup', () => options.backup?.({ database, collection }, { client, signal: applyOptions.signal }))
        await step('drop', () => db.collection(collection).drop())
        return { ok: true }
      })
    }
  }
}

class StepError extends Error {}

async function step (what: string, run: () => Promise<unknown> | undefined): Promise<void> {
  try {
    await run()
  } catch (error) {
    throw new StepError(`${what} failed: ${(error as Error).message ?? String(error)}`, { cause: error })
  }
}

/** One key at a time: drops are heavy on the server, and each outcome stands alone. */
async function eachKey (batch: readonly KeyEntry[], options: SinkApplyOptions, act: (key: string) => Promise<Omit<SinkOutcome, 'key'>>): Promise<SinkOutcome[]> {
  const outcomes: SinkOutcome[] = []
  for (const { key } of batch) {
    if (options.signal?.aborted === true) {
      outcomes.push({ key, ok: false, error: 'aborted before this key', retryable: true })
      continue
    }
    try {
      outcomes.push({ key, ...await act(key) })
    } catch (error) {
      outcomes.push({ key, ok: false, error: error instanceof StepError ? error.message : `failed: ${(error as Error).message ?? String(error)}`, retryable: true })
    }
  }
  return outcomes
}

function positive (option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new InvalidOptionError(option, `must be a positive integer, got ${String(value)}`)
  return value
}
