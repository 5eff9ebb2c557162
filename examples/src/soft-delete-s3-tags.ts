/**
 * Job 4 on S3: soft delete by tag. Orphans are tagged (`keydiff=orphan`), and a lifecycle
 * rule that expires tagged objects N days after their creation deletes them; until the rule
 * runs, removing the tag (undo) takes the soft delete back. Nothing is deleted by keydiff.
 *
 *   S3_ENDPOINT=http://127.0.0.1:9000 BUCKET=blobs REFERENCES=keys.txt DAYS=30 tsx examples/src/soft-delete-s3-tags.ts
 *   (without S3_ENDPOINT the client uses AWS with your usual credentials)
 */
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { S3Client } from '@aws-sdk/client-s3'
import { apply, formatPlanSummary, linesSource, plan, restore, type ApplyResult, type PlanSummary } from '@keydiff/core'
import { applyTagLifecycleRule, formatTagLifecycleRule, s3Lock, s3Source, s3TagSink } from '@keydiff/s3'

export interface SoftDeleteS3TagsOptions {
  /** Your configured client. Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** A file of the storage keys in use, one per line. Required. */
  references: string
  /** Days after creation the lifecycle rule expires a tagged object. @default 30 */
  days?: number
  /** Put the lifecycle rule on the bucket (otherwise it is only printed). @default false */
  applyRule?: boolean
  /** Objects modified less than this long before the references were read are left alone. @default '24h' */
  grace?: number | string
  acknowledgeZeroGrace?: boolean
  /** Where the plan and its audit log go. @default a new temporary directory */
  work?: string
  /** @default console.log */
  log?: (line: string) => void
}

export interface SoftDeleteS3TagsResult {
  summary: PlanSummary
  applied: ApplyResult
  /** Pass it to `undo` to remove the tags again. */
  plan: string
}

export async function main (options: SoftDeleteS3TagsOptions): Promise<SoftDeleteS3TagsResult> {
  const log = options.log ?? console.log
  const { client, bucket } = options
  const days = options.days ?? 30
  log(`lifecycle rule for bucket ${bucket}:\n${formatTagLifecycleRule({ days })}`)
  if (options.applyRule === true) await applyTagLifecycleRule({ client, bucket, days })
  const work = options.work ?? await mkdtemp(join(tmpdir(), 'keydiff-s3-tags-'))
  const planPath = join(work, 'plan.jsonl')
  const summary = await plan({
    candidates: s3Source({ client, bucket }),
    references: linesSource(options.references),
    store: `s3://${bucket}/`,
    out: planPath,
    grace: options.grace ?? '24h',
    acknowledgeZeroGrace: options.acknowledgeZeroGrace === true
  })
  log(formatPlanSummary(summary))
  const applied = await apply(planPath, s3TagSink({ client, bucket }), { lock: s3Lock({ client, bucket }) })
  log(`tagged ${applied.done} objects; the rule expires them ${days} days after their creation unless undone`)
  return { summary, applied, plan: planPath }
}

/** Takes a soft delete back: removes the tag from every object the plan tagged. */
export async function undo (options: { client: S3Client, bucket: string, plan: string }): Promise<ApplyResult> {
  return await restore(options.plan, s3TagSink({ client: options.client, bucket: options.bucket }), { lock: s3Lock({ client: options.client, bucket: options.bucket }) })
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { BUCKET, REFERENCES, S3_ENDPOINT, DAYS } = process.env
  if (BUCKET === undefined || REFERENCES === undefined) {
    console.error('set BUCKET and REFERENCES (and S3_ENDPOINT for an S3-compatible store)')
    process.exit(2)
  }
  const client = new S3Client({ region: process.env.AWS_REGION ?? 'us-east-1', ...(S3_ENDPOINT === undefined ? {} : { endpoint: S3_ENDPOINT, forcePathStyle: true }) })
  await main({ client, bucket: BUCKET, references: REFERENCES, ...(DAYS === undefined ? {} : { days: Number(DAYS) }) })
  client.destroy()
}
