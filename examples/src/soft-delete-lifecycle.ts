/**
 * Job 4: soft delete on Google Cloud Storage. Orphans are not deleted by keydiff: they are
 * handed to the bucket's lifecycle policy, which deletes them N days later, and the hand-over
 * can be undone until then.
 *
 * - `hold`: live objects carry an event-based hold (an existing bucket is migrated first, and
 *   the bucket's default hold keeps new objects held); an `age` rule deletes whatever is not
 *   held; the soft delete releases an orphan's hold; undo sets it again. The age counts from
 *   the object's creation, so an old orphan goes at the rule's next pass: undo is short.
 * - `customTime`: the soft delete sets the orphan's `customTime`; a `daysSinceCustomTime`
 *   rule deletes it N days later; undo rewrites the object without it.
 *
 *   GCS_ENDPOINT=http://127.0.0.1:4443 BUCKET=blobs REFERENCES=keys.txt MODE=customTime tsx examples/src/soft-delete-lifecycle.ts
 *   (without GCS_ENDPOINT the client uses Google Cloud with your usual credentials)
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Storage } from '@google-cloud/storage'
import { apply, formatPlanSummary, linesSource, plan, restore, type ApplyResult, type PlanSummary, type RestorableSink } from '@keydiff/core'
import {
  applySoftDeleteLifecycle,
  describeSoftDeleteLifecycle,
  gcsCustomTimeSink,
  gcsLock,
  gcsReleaseHoldSink,
  gcsSource,
  migrateToHolds,
  type SoftDeleteMode
} from '@keydiff/gcs'

export interface SoftDeleteLifecycleOptions {
  /** Your configured client. Required. */
  storage: Storage
  /** Required. */
  bucket: string
  /** A file of the storage keys in use, one per line. Required. */
  references: string
  /** `hold` (release event-based holds) or `customTime`. @default 'customTime' */
  mode?: SoftDeleteMode
  /** Days the lifecycle rule waits before it deletes. @default 30 */
  days?: number
  /** hold mode: put holds on the live objects of a bucket that was not written with them, first. @default true */
  migrate?: boolean
  /** Where the plan, its audit log and the migration checkpoint go. @default a new temporary directory */
  work?: string
  /** Objects modified less than this long before the reference file was read are left alone. @default '24h' */
  grace?: number | string
  /** Where progress lines go. @default console.log */
  log?: (line: string) => void
}

export interface SoftDeleteLifecycleResult {
  summary: PlanSummary
  applied: ApplyResult
  /** The plan file: pass it to `undo` to take the soft delete back. */
  plan: string
}

function softDeleteSink (storage: Storage, bucket: string, mode: SoftDeleteMode): RestorableSink {
  return mode === 'hold' ? gcsReleaseHoldSink({ storage, bucket }) : gcsCustomTimeSink({ storage, bucket })
}

export async function main (options: SoftDeleteLifecycleOptions): Promise<SoftDeleteLifecycleResult> {
  const log = options.log ?? console.log
  const { storage, bucket } = options
  const mode = options.mode ?? 'customTime'
  const days = options.days ?? 30
  const work = options.work ?? await mkdtemp(join(tmpdir(), 'keydiff-soft-delete-'))

  log(`the lifecycle rule that does the deleting (${mode} mode, ${days} days):`)
  log(describeSoftDeleteLifecycle(bucket, { mode, days }))
  if (mode === 'hold' && options.migrate !== false) {
    const report = await migrateToHolds({ storage, bucket, references: linesSource(options.references), checkpoint: join(work, 'hold-migration.json') })
    log(`held ${report.held} live objects of ${report.scanned}; ${report.unreferenced} left unheld; ${report.failed.length} failed`)
    if (report.failed.length > 0) throw new Error(`${report.failed.length} live objects could not be held (first: ${report.failed[0]?.key} ${report.failed[0]?.error}); the age rule would delete them, so it is not applied`)
  }
  const lifecycle = await applySoftDeleteLifecycle({ storage, bucket, mode, days, defaultEventBasedHold: mode === 'hold', confirmLiveObjectsHeld: mode === 'hold' })
  log(`lifecycle of gs://${bucket}: ${JSON.stringify(lifecycle)}`)

  const summary = await plan({
    candidates: gcsSource({ storage, bucket }),
    references: linesSource(options.references),
    store: `gs://${bucket}/`,
    // A new file per run: an audit log belongs to one plan.
    out: join(work, `soft-delete-${new Date().toISOString().replace(/[:.]/g, '-')}.plan.jsonl`),
    grace: options.grace ?? '24h'
  })
  log(formatPlanSummary(summary))
  const applied = await apply(summary.path, softDeleteSink(storage, bucket, mode), { lock: gcsLock({ client: storage, bucket }) })
  log(`soft-deleted ${applied.done} objects (${applied.action}); the rule removes them in ${days} days unless undone; ${applied.failed} failed`)
  return { summary, applied, plan: summary.path }
}

export interface UndoOptions {
  storage: Storage
  bucket: string
  /** The plan file a `main` run returned. */
  plan: string
  /** The mode that run used. @default 'customTime' */
  mode?: SoftDeleteMode
  /** @default console.log */
  log?: (line: string) => void
}

/** Takes a soft delete back before the lifecycle rule runs: holds set again, or customTime removed. */
export async function undo (options: UndoOptions): Promise<ApplyResult> {
  const result = await restore(options.plan, softDeleteSink(options.storage, options.bucket, options.mode ?? 'customTime'), { lock: gcsLock({ client: options.storage, bucket: options.bucket }) })
  ;(options.log ?? console.log)(`undid the soft delete of ${result.done} objects; ${result.failed} failed`)
  return result
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const bucket = process.env.BUCKET
  const references = process.env.REFERENCES
  if (bucket === undefined || bucket === '' || references === undefined || references === '') {
    console.error('set BUCKET and REFERENCES (a file of the keys in use); GCS_ENDPOINT points the client at an emulator; MODE=hold|customTime; UNDO=<plan file> to undo')
    process.exit(2)
  }
  const storage = process.env.GCS_ENDPOINT === undefined ? new Storage() : new Storage({ apiEndpoint: process.env.GCS_ENDPOINT, projectId: 'keydiff-example' })
  const mode = (process.env.MODE ?? 'customTime') as SoftDeleteMode
  if (process.env.UNDO !== undefined) await undo({ storage, bucket, plan: process.env.UNDO, mode })
  else await main({ storage, bucket, references, mode })
}
