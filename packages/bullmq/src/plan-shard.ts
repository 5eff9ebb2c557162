import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { plan, type PlanProgress } from '@keydiff/core'
import { withinRange } from '@keydiff/core/adapter'
import { fileDigest } from './file-digest.ts'
import type { PartDescriptor, PlanShardTask } from './part-descriptor.ts'
import { referencesInRange } from './shard-references.ts'
import type { ShardOpener } from './shard-opener.ts'

export interface PlanShardContext {
  /** The shared directory, as this worker sees it. */
  shared: string
  opener: ShardOpener
  /** Tells the attempt's part from every other attempt's: the job id and attempt. */
  jobId: string
  attempt: number
  /** Given the plan's live figures as it starts, for a progress report on a timer. */
  onProgress?: ((progress: Readonly<PlanProgress>) => void) | undefined
  signal?: AbortSignal | undefined
}

/**
 * Plans one range: the run opened from its description, core's `plan()` on the range's
 * candidates and the references that may matter to it, with the run's one fence and the
 * guards off (the coordinator applies them once, to the merged counts). The part is written
 * at a path no other attempt uses, so an attempt that lost its job and runs on cannot
 * overwrite the part that another attempt handed back.
 */
export async function planShard (task: PlanShardTask, context: PlanShardContext): Promise<PartDescriptor> {
  const opened = await context.opener(task.description, task.range, 'plan')
  try {
    const relative = join(task.run, 'parts', `shard-${String(task.shard).padStart(5, '0')}.${context.jobId}.${context.attempt}.${randomUUID().slice(0, 8)}.jsonl`)
    await mkdir(join(context.shared, task.run, 'parts'), { recursive: true })
    const summary = await plan({
      ...opened.planOptions,
      // a driver that ignored the range would plan the keys of other shards twice
      candidates: withinRange(opened.candidates, task.range),
      references: opened.references.map(source => referencesInRange(source, task.range)),
      out: join(context.shared, relative),
      referencesAsOf: task.referencesAsOf,
      allowEmptyReferences: true,
      maxMissingShare: 1,
      maxOrphanShare: 1,
      ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
      ...(context.signal === undefined ? {} : { signal: context.signal })
    })
    const { sha256, bytes } = await fileDigest(summary.path)
    const { header } = summary
    return {
      shard: task.shard,
      range: task.range,
      path: relative,
      sha256,
      bytes,
      planId: header.checksum,
      store: header.store,
      fence: header.fence,
      counts: header.counts,
      bytesPlanned: header.bytes,
      prefixes: summary.prefixes,
      attempt: context.attempt
    }
  } finally {
    await opened.close()
  }
}
