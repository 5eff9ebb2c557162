/**
 * Job 2: rows of an "external" table point at objects in a store; several database schemas
 * (one per lab, DataJoint-style) share that store. The references of every schema are
 * unioned in one snapshot before anything is compared: cleaning against one schema alone
 * would delete the objects of all the others. Then plan, and delete what no row points at.
 *
 * The store here is a local directory (`@keydiff/core`'s directory store): the S3 adapter
 * has no delete sink yet. With it, `s3Source` and its delete sink take the directory's place
 * and nothing else changes.
 *
 *   PGURL=postgres://postgres@127.0.0.1:5432/lab SCHEMAS=lab_a,lab_b STORE=./objects APPLY=1 tsx examples/src/database-rows-to-objects.ts
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import { apply, directoryDeleteSink, directorySource, formatPlanSummary, plan, type ApplyResult, type PlanSummary } from '@keydiff/core'
import { postgresLock, postgresLookup, postgresReferencesUnion } from '@keydiff/postgres'

export interface DatabaseRowsToObjectsOptions {
  /** The database's pool; it needs one client per schema plus one. Required. */
  pool: pg.Pool
  /** Every schema whose external table points into the store. Required, at least one. */
  schemas: readonly string[]
  /** The external table's name in each schema. @default 'external' */
  table?: string
  /** Its column holding the object key. @default 'object_key' */
  column?: string
  /** The shared store's root directory. Required. */
  store: string
  /** Where the plan and audit log go. @default `<store>/.keydiff` */
  work?: string
  /** Schema of the lock table. @default the first of `schemas` */
  lockSchema?: string
  /** Objects modified less than this long before the snapshot are kept. @default '24h' */
  grace?: number | string
  /** Plan only. @default true */
  dryRun?: boolean
  /** Where progress lines go. @default console.log */
  log?: (line: string) => void
}

export interface DatabaseRowsToObjectsResult {
  summary: PlanSummary
  /** Undefined for a dry run. */
  applied: ApplyResult | undefined
}

export async function main (options: DatabaseRowsToObjectsOptions): Promise<DatabaseRowsToObjectsResult> {
  const log = options.log ?? console.log
  if (options.schemas.length === 0) throw new TypeError('database-rows-to-objects: list every schema that shares the store')
  const table = options.table ?? 'external'
  const column = options.column ?? 'object_key'
  const parts = options.schemas.map(schema => ({ schema, table, column }))

  // A schema whose table is missing or unreadable fails here, before any plan exists.
  const references = await postgresReferencesUnion({ pool: options.pool, parts, sorted: true })
  const summary = await plan({
    candidates: directorySource({ root: options.store }),
    references,
    out: join(options.work ?? join(options.store, '.keydiff'), 'external.plan.jsonl'),
    grace: options.grace ?? '24h',
    summaryDepth: 1
  })
  log(`references of ${options.schemas.length} schemas (${options.schemas.join(', ')}) from one snapshot started ${summary.header.referenceScanStartedAt}`)
  log(formatPlanSummary(summary))
  if (options.dryRun !== false) return { summary, applied: undefined }

  const applied = await apply(summary.path, directoryDeleteSink({ root: options.store }), {
    lock: postgresLock({ pool: options.pool, target: `store:${options.store}`, schema: options.lockSchema ?? options.schemas[0] }),
    // A row inserted in any schema since the snapshot keeps its object.
    recheck: parts.map(part => postgresLookup({ pool: options.pool, ...part }))
  })
  log(`deleted ${applied.done} objects (${applied.bytesDone} bytes); ${applied.dropped} referenced again; ${applied.failed} failed`)
  return { summary, applied }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemas = (process.env.SCHEMAS ?? '').split(',').filter(schema => schema !== '')
  const store = process.env.STORE ?? ''
  if (schemas.length === 0 || store === '') {
    console.error('set SCHEMAS (comma-separated) and STORE (the shared directory store); PGURL names the database; APPLY=1 deletes')
    process.exit(2)
  }
  const pool = new pg.Pool({ connectionString: process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test', max: schemas.length + 2 })
  try {
    await main({ pool, schemas, store, table: process.env.TABLE, column: process.env.COLUMN, dryRun: process.env.APPLY !== '1' })
  } finally {
    await pool.end()
  }
}
