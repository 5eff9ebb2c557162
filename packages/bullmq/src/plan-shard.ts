import { randomUUID } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { jsonLinesSource, plan, type KeySource, type PlanCounts, type PlanProgress } from '@keydiff/core'
import { deriveSource, withinRange, type KeyRange } from '@keydiff/core/adapter'
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
  /**
   * Where an earlier attempt of this job split the shard: this attempt ends its part there
   * and splits no more, so that the part and the sibling that attempt made meet exactly.
   */
  splitAt?: string | undefined
}

/** A shard's part, and the rest of its range when it was split. */
export interface ShardOutcome {
  part: PartDescriptor
  /** `(where the part ends, the shard's upTo]`, for a new job; undefined when the part covers the shard. */
  rest: KeyRange | undefined
}

/**
 * Plans one range: the run opened from its description, core's `plan()` on the range's
 * candidates and the references that may matter to it, with the run's one fence and the
 * guards off (the coordinator applies them once, to the merged counts). The part is written
 * at a path no other attempt uses, so an attempt that lost its job and runs on cannot
 * overwrite the part that another attempt handed back.
 */
export async function planShard (task: PlanShardTask, context: PlanShardContext): Promise<ShardOutcome> {
  const range: KeyRange = context.splitAt === undefined ? task.range : { ...task.range, upTo: context.splitAt }
  const opened = await context.opener(task.description, range, 'plan')
  try {
    const relative = join(task.run, 'parts', `shard-${String(task.shard).padStart(5, '0')}.${context.jobId}.${context.attempt}.${randomUUID().slice(0, 8)}.jsonl`)
    await mkdir(join(context.shared, task.run, 'parts'), { recursive: true })
    // a driver that ignored the range would plan the keys of other shards twice
    const listed = withinRange(opened.candidates, range)
    const cut: { at?: string } = {}
    const splits = context.splitAt === undefined && task.splitAbove !== undefined && listed.sorted
    const summary = await plan({
      ...opened.planOptions,
      candidates: splits ? cutAfter(listed, task.splitAbove as number, cut) : listed,
      references: (task.references === undefined
        ? opened.references
        : task.references.files.map((file, i) => jsonLinesSource(join(context.shared, file), { field: 'k', name: task.references?.names[i] ?? file }))
      ).map(source => referencesInRange(source, range)),
      out: join(context.shared, relative),
      referencesAsOf: task.referencesAsOf,
      // references resolved into another shard's range are neither diffed nor counted missing here
      range,
      countMissing: true,
      allowEmptyReferences: true,
      maxMissingShare: 1,
      maxOrphanShare: 1,
      ...(context.onProgress === undefined ? {} : { onProgress: context.onProgress }),
      ...(context.signal === undefined ? {} : { signal: context.signal })
    })
    const { sha256, bytes } = await fileDigest(summary.path)
    const { header } = summary
    const part: PartDescriptor = {
      shard: task.shard,
      range: cut.at === undefined ? range : { ...range, upTo: cut.at },
      path: relative,
      sha256,
      bytes,
      planId: header.checksum,
      store: header.store,
      fence: header.fence,
      // a part cut short read references for its whole range: those past the cut would count as missing here
      counts: cut.at === undefined ? header.counts : withoutMissing(header.counts),
      ...(cut.at === undefined ? {} : { referencesCounted: range }),
      bytesPlanned: header.bytes,
      prefixes: summary.prefixes,
      attempt: context.attempt
    }
    return { part, rest: cut.at === undefined ? undefined : { ...range, after: cut.at } }
  } finally {
    await opened.close()
  }
}

/**
 * A sorted listing that stops after the batch in which it passed `limit` keys, when more keys
 * follow: `cut.at` is then the last key listed, where the part ends and the rest begins.
 */
function cutAfter (source: KeySource, limit: number, cut: { at?: string }): KeySource {
  return deriveSource(source, async function * () {
    const batches = source[Symbol.asyncIterator]()
    let count = 0
    try {
      for (;;) {
        const next = await batches.next()
        if (next.done === true) return
        yield next.value
        count += next.value.length
        const last = next.value[next.value.length - 1]
        if (count >= limit && last !== undefined) {
          if ((await batches.next()).done !== true) cut.at = last.key
          return
        }
      }
    } finally {
      await batches.return?.()
    }
  })
}

function withoutMissing (counts: PlanCounts): PlanCounts {
  const { missing: _, ...rest } = counts
  return rest
}
