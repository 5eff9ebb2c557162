import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { apply, InvalidOptionError, lockFile, PlanError, type ApplyResult } from '@keydiff/core'
import { fileDigest } from './file-digest.ts'
import type { ApplyPartTask, PartApplied } from './part-descriptor.ts'
import type { StoreRateLimit } from './rate-limit.ts'
import type { ShardOpener } from './shard-opener.ts'

export interface ApplyPartContext {
  shared: string
  opener: ShardOpener
  limit?: StoreRateLimit | undefined
  /**
   * How long the part's lock outlives a worker that stopped renewing it: a replacement worker
   * takes the part over after this. @default 60000
   */
  lockTtl?: number | undefined
  onProgress?: ((progress: Readonly<ApplyResult>) => void) | undefined
  signal?: AbortSignal | undefined
}

/**
 * Applies one plan part with core's `apply()`: under the part's own lock in the shared
 * directory (a worker that lost its job and runs on stops when a successor takes the lock),
 * with the part's audit log there too, so that a retried job resumes from it and never acts
 * on a key twice. The part must still match the checksum the manifest recorded.
 */
export async function applyPart (task: ApplyPartTask, context: ApplyPartContext): Promise<PartApplied> {
  const { part } = task
  const file = join(context.shared, part.path)
  const found = await fileDigest(file)
  if (found.sha256 !== part.sha256) throw new PlanError(file, 'does not match the manifest\'s checksum: plan the run again', { code: 'KEYDIFF_PLAN_CHECKSUM' })
  const directory = join(context.shared, task.run, 'apply')
  await mkdir(directory, { recursive: true })
  const name = `part-${String(part.shard).padStart(5, '0')}`
  const opened = await context.opener(task.description, part.range, 'apply')
  try {
    if (opened.sink === undefined) throw new InvalidOptionError('action', 'the run has no action to apply')
    const lease = await lockFile({ path: join(directory, `${name}.lock`), target: `${task.run} ${name}` }).acquire({ ttl: context.lockTtl ?? 60_000 })
    try {
      const signal = context.signal === undefined ? lease.signal : AbortSignal.any([lease.signal, context.signal])
      const audit = join(directory, `${name}.audit.jsonl`)
      const result = await apply(file, context.limit === undefined ? opened.sink : context.limit.limit(opened.sink), {
        lock: null,
        audit,
        recheck: opened.recheck ?? [],
        // the part and the sink come from one description; a part and a sink that both name a store are still checked
        allowUnboundPlan: true,
        signal,
        ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress })
      })
      return { shard: part.shard, planId: result.planId, audit: join(task.run, 'apply', `${name}.audit.jsonl`), planned: result.planned, skipped: result.skipped, done: result.done, dropped: result.dropped, failed: result.failed, bytesDone: result.bytesDone }
    } finally {
      await lease.release()
    }
  } finally {
    await opened.close()
  }
}
