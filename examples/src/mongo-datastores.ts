/**
 * Job 5: a platform creates one MongoDB database per datastore, named `{type}-{id}`, and
 * lists its live datastores in a registry collection. Every datastore database that no live
 * datastore owns is planned, backed up (gzipped Extended JSON) and dropped, but only once it
 * has been idle long enough. System databases and databases of other shapes are never listed.
 *
 *   tsx examples/src/mongo-datastores.ts                         # plan against MONGO_URL (dry run)
 *   MONGO_URL=mongodb://127.0.0.1:27017 APPLY=1 BACKUPS=./backups tsx examples/src/mongo-datastores.ts
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MongoClient } from 'mongodb'
import { apply, formatPlanSummary, plan, type ApplyResult, type PlanSummary } from '@keydiff/core'
import {
  DEFAULT_IDLE_WINDOW,
  jsonLinesBackup,
  lastInsertActivity,
  mongoDatabases,
  mongoDropDatabaseSink,
  mongoLock,
  mongoLookup,
  mongoReferences
} from '@keydiff/mongo'

export interface MongoDatastoresOptions {
  /** The platform's client. Required. */
  client: MongoClient
  /** The registry of live datastores. @default { database: 'platform', collection: 'datastores' } */
  registry?: { database: string, collection: string }
  /** How a registry document names its database. @default '{datastoreTypeId}-{datastoreId}' */
  template?: string
  /** Which databases are datastore databases. @default /^[0-9]+-[0-9a-f]{24}$/ */
  include?: RegExp
  /** Where each database is backed up before it is dropped. Required unless dryRun. */
  backups?: string
  /** Where the plan and its audit log go. @default a new temporary directory */
  work?: string
  /** A database written less than this long before the registry scan started is not planned. @default '24h' */
  grace?: number | string
  /** At drop time, a database used within this window (ms) is refused. @default 15 minutes */
  idleWindow?: number
  /** Plan only. @default true */
  dryRun?: boolean
  /** Asked with the plan before anything is dropped; false stops there. @default drop without asking */
  confirm?: (summary: PlanSummary) => boolean | Promise<boolean>
  /** Where progress lines go. @default console.log */
  log?: (line: string) => void
}

export interface MongoDatastoresResult {
  summary: PlanSummary
  /** Undefined for a dry run. */
  applied: ApplyResult | undefined
}

export async function main (options: MongoDatastoresOptions): Promise<MongoDatastoresResult> {
  const log = options.log ?? console.log
  const { client } = options
  const registry = { client, ...(options.registry ?? { database: 'platform', collection: 'datastores' }), template: options.template ?? '{datastoreTypeId}-{datastoreId}' }
  const work = options.work ?? await mkdtemp(join(tmpdir(), 'keydiff-datastores-'))

  const summary = await plan({
    // A database's last insert (the newest ObjectId) is its modification time for the fence.
    candidates: mongoDatabases({ client, include: options.include ?? /^[0-9]+-[0-9a-f]{24}$/, activity: [lastInsertActivity] }),
    references: mongoReferences(registry),
    out: join(work, 'datastores.plan.jsonl'),
    grace: options.grace ?? '24h',
    // A database with no ObjectId-keyed document shows no activity; the idle guard still
    // checks it right before the drop.
    includeUndated: true,
    summaryDepth: 1
  })
  log(formatPlanSummary(summary))
  if (options.dryRun !== false) {
    log('dry run: nothing dropped')
    return { summary, applied: undefined }
  }
  if (options.confirm !== undefined && !(await options.confirm(summary))) {
    log('not confirmed: nothing dropped')
    return { summary, applied: undefined }
  }
  if (options.backups === undefined) throw new TypeError('mongo-datastores: options.backups is required to drop databases')

  const applied = await apply(summary.path, mongoDropDatabaseSink({
    client,
    backup: jsonLinesBackup({ directory: options.backups }),
    idle: { window: options.idleWindow ?? DEFAULT_IDLE_WINDOW, probes: [lastInsertActivity] }
  }), {
    lock: mongoLock({ client, target: `datastore-databases:${registry.database}.${registry.collection}` }),
    // database names have no store location to bind: the plan and the sink are made here, for one client
    allowUnboundPlan: true,
    // A datastore restored since the plan owns its database again.
    recheck: [mongoLookup(registry)]
  })
  log(`dropped ${applied.done} databases (backups in ${options.backups}); ${applied.dropped} live again; ${applied.failed} refused or failed`)
  for (const failure of applied.failures) log(`  kept ${failure.key}: ${failure.error}`)
  return { summary, applied }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const client = new MongoClient(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017', { serverSelectionTimeoutMS: 5000 })
  try {
    await main({ client, dryRun: process.env.APPLY !== '1', backups: process.env.BACKUPS ?? './datastore-backups' })
  } finally {
    await client.close()
  }
}
