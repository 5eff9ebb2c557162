/**
 * Job 3: a versioned archive (`<collection>/<object>/<version>`) whose current versions are
 * listed in a PostgreSQL table. Every file that is not a current version is a prune
 * candidate: the owner previews them (a dry run), reads the report per collection (count,
 * bytes), then applies the prune, which is recorded in a tombstones table.
 *
 *   PGURL=postgres://postgres@127.0.0.1:5432/test tsx examples/src/versioned-archive-prune.ts          # demo archive
 *   PGURL=... ARCHIVE=./archive TABLE=public.current_versions APPLY=1 tsx examples/src/versioned-archive-prune.ts
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import pg from 'pg'
import {
  apply,
  directoryDeleteSink,
  directorySource,
  formatPlanSummary,
  plan,
  type ApplyResult,
  type PlanSummary
} from '@keydiff/core'
import { postgresLock, postgresLookup, postgresReferences, postgresTombstones } from '@keydiff/postgres'

export interface VersionedArchivePruneOptions {
  /** The application's pool. Required. */
  pool: pg.Pool
  /** The archive's root directory. Required. */
  archive: string
  /** The table of current versions, with text columns `collection`, `object`, `version` (schema-qualified if needed). Required. */
  table: string
  /** Schema of the lock and tombstones tables. @default the search path's first schema */
  schema?: string
  /** Where the plan and its audit log go. @default `<archive>/.keydiff` */
  work?: string
  /** Files modified less than this long before the reference scan started are kept. @default '24h' */
  grace?: number | string
  /** Never pruned: per-object manifests. @default ['**\/_manifest.json'] */
  protect?: readonly string[]
  /** Preview only: plan and report, prune nothing. @default true */
  dryRun?: boolean
  /** Asked with the plan before anything is pruned; false stops there. @default prune without asking */
  confirm?: (summary: PlanSummary) => boolean | Promise<boolean>
  /** Recorded with every tombstone. @default a random id */
  runId?: string
  /** Where progress lines go. @default console.log */
  log?: (line: string) => void
}

export interface VersionedArchivePruneResult {
  summary: PlanSummary
  /** Undefined for a dry run. */
  applied: ApplyResult | undefined
  /** Tombstones written (one per key acted on or failed). */
  tombstones: number
  runId: string
}

export async function main (options: VersionedArchivePruneOptions): Promise<VersionedArchivePruneResult> {
  const log = options.log ?? console.log
  const work = options.work ?? join(options.archive, '.keydiff')
  const runId = options.runId ?? `prune-${new Date().toISOString()}-${randomBytes(3).toString('hex')}`
  // The storage key of a current version, as SQL: the same expression serves the scan and the re-check.
  const current = `SELECT collection || '/' || object || '/' || version AS path FROM ${options.table}`

  const summary = await plan({
    candidates: directorySource({ root: options.archive }),
    references: postgresReferences({ client: options.pool, query: current, column: 'path' }),
    out: join(work, 'prune.plan.jsonl'),
    grace: options.grace ?? '24h',
    protect: options.protect ?? ['**/_manifest.json'],
    summaryDepth: 1
  })
  log(formatPlanSummary(summary))
  if (options.dryRun !== false) {
    log('dry run: nothing pruned; run again with dryRun: false (APPLY=1) to prune the plan above')
    return { summary, applied: undefined, tombstones: 0, runId }
  }
  if (options.confirm !== undefined && !(await options.confirm(summary))) {
    log('not confirmed: nothing pruned')
    return { summary, applied: undefined, tombstones: 0, runId }
  }

  // The tombstones table is an audit sink: apply writes each batch's outcomes to it as it goes.
  const applied = await apply(summary.path, directoryDeleteSink({ root: options.archive }), {
    lock: postgresLock({ client: options.pool, target: `archive:${options.archive}`, schema: options.schema }),
    recheck: [postgresLookup({ client: options.pool, query: current, column: 'path' })],
    auditSinks: [postgresTombstones({ client: options.pool, schema: options.schema, runId })]
  })
  log(`pruned ${applied.done} files (${applied.bytesDone} bytes); ${applied.dropped} became current again and were kept; ${applied.failed} failed`)
  const tombstones = applied.done + applied.failed
  log(`recorded ${tombstones} tombstones under run ${runId}`)
  return { summary, applied, tombstones, runId }
}

/** Three collections of objects with three versions each, the last one current. */
async function demoArchive (pool: pg.Pool, schema: string): Promise<string> {
  const archive = await mkdtemp(join(tmpdir(), 'keydiff-archive-'))
  await pool.query(`CREATE TABLE ${schema}.current_versions (collection text, object text, version text, PRIMARY KEY (collection, object))`)
  const old = new Date(Date.now() - 7 * 24 * 3600_000)
  for (const collection of ['maps', 'photos', 'scans']) {
    for (let object = 0; object < 20; object++) {
      for (const version of ['v1', 'v2', 'v3']) {
        const path = join(archive, collection, `o${object}`, version)
        await mkdir(dirname(path), { recursive: true })
        await writeFile(path, Buffer.alloc(1000 * (object + 1)))
        await utimes(path, old, old)
      }
      await pool.query(`INSERT INTO ${schema}.current_versions VALUES ($1, $2, 'v3')`, [collection, `o${object}`])
    }
  }
  console.log(`demo archive ${archive}, current versions in ${schema}.current_versions`)
  return archive
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const pool = new pg.Pool({ connectionString: process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test' })
  const demoSchema = process.env.ARCHIVE === undefined ? `keydiff_example_${randomBytes(4).toString('hex')}` : undefined
  try {
    if (demoSchema !== undefined) await pool.query(`CREATE SCHEMA ${demoSchema}`)
    const archive = process.env.ARCHIVE ?? await demoArchive(pool, demoSchema as string)
    const table = process.env.TABLE ?? `${demoSchema as string}.current_versions`
    await main({ pool, archive, table, schema: demoSchema, dryRun: true })
    if (demoSchema !== undefined || process.env.APPLY === '1') await main({ pool, archive, table, schema: demoSchema, dryRun: false })
    if (demoSchema !== undefined) await rm(archive, { recursive: true, force: true })
  } finally {
    if (demoSchema !== undefined) await pool.query(`DROP SCHEMA ${demoSchema} CASCADE`)
    await pool.end()
  }
}
