import type { Collection, Document, MongoClient } from 'mongodb'
import { ObjectId } from 'mongodb'
import { isSystemCollection } from './system-names.ts'

/**
 * Tells when a database was last used, as far as it can see: a date, or undefined when it
 * saw no sign of use. Probes are combined by taking the latest date.
 */
export type ActivityProbe = (client: MongoClient, database: string) => Promise<Date | undefined>

/**
 * Operations running now on the database, from `$currentOp` (all users, idle connections
 * left out), falling back to the older `currentOp` command. A running operation counts as
 * activity now. The probe's own operation is not counted.
 */
export const currentOpActivity: ActivityProbe = async (client, database) => {
  const admin = client.db('admin')
  let operations: Document[]
  try {
    operations = await admin.aggregate([{ $currentOp: { allUsers: true, idleConnections: false } }]).toArray()
  } catch {
    const reply = await admin.command({ currentOp: 1, $all: true })
    operations = Array.isArray(reply.inprog) ? reply.inprog as Document[] : []
  }
  const prefix = `${database}.`
  const busy = operations.some(operation => {
    if (isProbe(operation)) return false
    const ns = operation.ns
    const db = (operation.command as Document | undefined)?.$db
    return (typeof ns === 'string' && ns.startsWith(prefix)) || db === database
  })
  return busy ? new Date() : undefined
}

function isProbe (operation: Document): boolean {
  const command = operation.command as Document | undefined
  return command !== undefined && ('$currentOp' in ((command.pipeline as Document[] | undefined)?.[0] ?? {}) || 'currentOp' in command)
}

/**
 * The newest insert into any collection of the database, from the time inside ObjectId
 * `_id`s (the default `_id`): one indexed look-up per collection. Documents with other
 * `_id` types, updates and reads leave no trace here.
 */
export const lastInsertActivity: ActivityProbe = async (client, database) => {
  const db = client.db(database)
  const collections = await db.listCollections({}, { nameOnly: true }).toArray()
  let latest: Date | undefined
  for (const { name, type } of collections as Array<{ name: string, type?: string }>) {
    if (isSystemCollection(name) || (type !== undefined && type !== 'collection')) continue
    const id = await newestObjectId(db.collection(name))
    if (id instanceof ObjectId) {
      const at = id.getTimestamp()
      if (latest === undefined || at > latest) latest = at
    }
  }
  return latest
}

// `_id`s of a higher BSON type (dates, booleans) sort above ObjectIds; only then is the
// `$type` filter needed, which some servers lack.
async function newestObjectId (collection: Collection): Promise<unknown> {
  const newest = await collection.find({}, { projection: { _id: 1 }, sort: { _id: -1 }, limit: 1 }).toArray()
  const id = newest[0]?._id
  if (id === undefined || id instanceof ObjectId) return id
  const typed = await collection.find({ _id: { $type: 'objectId' } }, { projection: { _id: 1 }, sort: { _id: -1 }, limit: 1 }).toArray()
  return typed[0]?._id
}

/** The default probes: operations running now, and the newest ObjectId insert. */
export const defaultActivityProbes: readonly ActivityProbe[] = [currentOpActivity, lastInsertActivity]

/** The latest date any probe reports. A probe that fails makes the whole answer fail. */
export async function lastActivity (client: MongoClient, database: string, probes: readonly ActivityProbe[]): Promise<Date | undefined> {
  let latest: Date | undefined
  for (const probe of probes) {
    const at = await probe(client, database)
    if (at !== undefined && (latest === undefined || at > latest)) latest = at
  }
  return latest
}
