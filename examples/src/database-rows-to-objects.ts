/**
 * Job 2: rows of an "external" table point at objects in an S3 bucket; several database schemas
 * (one per lab, DataJoint-style) share that bucket. The references of every schema are
 * unioned in one snapshot before anything is compared: cleaning against one schema alone
 * would delete the objects of all the others. Then plan, and delete what no row points at.
 *
 * Any S3-compatible store works (MinIO, s3rver): the client is yours.
 *
 *   PGURL=postgres://postgres@127.0.0.1:5432/lab SCHEMAS=lab_a,lab_b BUCKET=objects APPLY=1 tsx examples/src/database-rows-to-objects.ts
 *   (S3_ENDPOINT points the client at an S3-compatible server; credentials come from the usual AWS variables)
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import pg from 'pg'
import { apply, formatPlanSummary, plan, type ApplyResult, type PlanSummary } from '@keydiff/core'
import { postgresLock, postgresLookup, postgresReferencesUnion } from '@keydiff/postgres'
import { s3DeleteSink, s3Source } from '@keydiff/s3'

export interface DatabaseRowsToObjectsOptions {
  /** The database's pool; it needs one client per schema plus one. Required. */
  pool: pg.Pool
  /** Every schema whose external table points into the bucket. Required, at least one. */
  schemas: readonly string[]
  /** The external table's name in each schema. @default 'external' */
  table?: string
  /** Its column holding the object key. @default 'object_key' */
  column?: string
  /** Your configured client. Required. */
  client: S3Client
  /** The shared bucket. Required. */
  bucket: string
  /** Only objects under this prefix are candidates. @default '' */
  prefix?: string
  /** Where the plan and audit log go. @default a new temporary directory */
  work?: string
  /** Schema of the lock table. @default the first of `schemas` */
  lockSchema?: string
  /** Objects modified less than this long before the snapshot are kept. @default '24h' */
  grace?: number | string
  /** Allow a grace of 0 (objects written up to the snapshot's start may go). @default false */
  acknowledgeZeroGrace?: boolean
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
  if (options.schemas.length === 0) throw new TypeError('database-rows-to-objects: list every schema that shares the bucket')
  const table = options.table ?? 'external'
  const column = options.column ?? 'object_key'
  const parts = options.schemas.map(schema => ({ schema, table, column }))

  // A schema whose table is missing or unreadable fails here, before any plan exists.
  const references = postgresReferencesUnion({ client: options.pool, parts, sorted: true })
  const summary = await plan({
    candidates: s3Source({ client: options.client, bucket: options.bucket, prefix: options.prefix }),
    references,
    // the plan binds the bucket: apply refuses a sink on any other
    store: `s3://${options.bucket}/${options.prefix ?? ''}`,
    out: join(options.work ?? await mkdtemp(join(tmpdir(), 'keydiff-external-')), 'external.plan.jsonl'),
    grace: options.grace ?? '24h',
    acknowledgeZeroGrace: options.acknowledgeZeroGrace,
    summaryDepth: 1
  })
  log(`references of ${options.schemas.length} schemas (${options.schemas.join(', ')}) from one snapshot started ${summary.header.referenceScanStartedAt}`)
  log(formatPlanSummary(summary))
  if (options.dryRun !== false) return { summary, applied: undefined }

  const applied = await apply(summary.path, s3DeleteSink({ client: options.client, bucket: options.bucket }), {
    lock: postgresLock({ client: options.pool, target: `s3://${options.bucket}/`, schema: options.lockSchema ?? options.schemas[0] }),
    // A row inserted in any schema since the snapshot keeps its object.
    recheck: parts.map(part => postgresLookup({ client: options.pool, ...part }))
  })
  log(`deleted ${applied.done} objects (${applied.bytesDone} bytes); ${applied.dropped} referenced again; ${applied.failed} failed`)
  return { summary, applied }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const schemas = (process.env.SCHEMAS ?? '').split(',').filter(schema => schema !== '')
  const bucket = process.env.BUCKET ?? ''
  if (schemas.length === 0 || bucket === '') {
    console.error('set SCHEMAS (comma-separated) and BUCKET (the shared bucket); PGURL names the database, S3_ENDPOINT an S3-compatible server; APPLY=1 deletes')
    process.exit(2)
  }
  const client = new S3Client(process.env.S3_ENDPOINT === undefined ? {} : { endpoint: process.env.S3_ENDPOINT, forcePathStyle: true })
  const pool = new pg.Pool({ connectionString: process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test', max: schemas.length + 2 })
  try {
    await main({ pool, schemas, client, bucket, table: process.env.TABLE, column: process.env.COLUMN, dryRun: process.env.APPLY !== '1' })
  } finally {
    client.destroy()
    await pool.end()
  }
}
