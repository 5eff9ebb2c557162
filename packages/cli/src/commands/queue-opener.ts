import { isAbsolute, relative, sep } from 'node:path'
import { DEFAULT_GRACE, DEFAULT_MEMORY, KeydiffError, parseStoreLocation } from '@keydiff/core'
import type { PlanGuardOptions } from '@keydiff/core/adapter'
import type { ShardOpener, ShardPlanOptions } from '@keydiff/bullmq'
import type { RunConfig } from '../config/config-types.ts'
import type { RunTarget } from '../run/build-store.ts'
import { openRun, type RunDescription } from '../run/run-description.ts'

/**
 * How a `keydiff worker` opens a shard: the run description through `openRun`, with this
 * process's environment for its `${VAR}` secrets, and the run's plan settings as `keydiff
 * run` passes them to `plan()`. The guards, the fence's base time and `minOrphanAge` are the
 * distributed run's (see `distributedGuards`).
 */
export function queueOpener (env: NodeJS.ProcessEnv = process.env): ShardOpener {
  return async (description, range, purpose) => {
    const opened = await openRun(description as unknown as RunDescription, env)
    try {
      if (opened.run.minOrphanAge !== undefined) {
        throw new KeydiffError(`run ${JSON.stringify(opened.name)}: minOrphanAge keeps first-seen times in one work directory, which a distributed run does not have; run it without --queue`, 'KEYDIFF_CONFIG_INVALID')
      }
      const target = await opened.target({ range })
      const references = await opened.references()
      return {
        candidates: target.candidates,
        // an apply reads no reference source; it only looks keys up again
        references: purpose === 'plan' ? references.sources : [],
        planOptions: shardPlanOptions(opened.run, target),
        sink: target.sink,
        recheck: references.lookups,
        close: async () => {
          await references.release()
          await opened.close()
        }
      }
    } catch (error) {
      await opened.close()
      throw error
    }
  }
}

/** A run's guards, which the coordinator judges once on the merged counts. */
export function distributedGuards (run: RunConfig): PlanGuardOptions {
  return {
    allowEmptyReferences: run.allowEmptyReferences === true,
    ...(run.maxMissingShare === undefined ? {} : { maxMissingShare: run.maxMissingShare }),
    ...(run.maxOrphanShare === undefined ? {} : { maxOrphanShare: run.maxOrphanShare })
  }
}

/** The plan settings of a run, as `keydiff run` gives them to `plan()` (run-one.ts). */
function shardPlanOptions (run: RunConfig, target: RunTarget): ShardPlanOptions {
  const store = target.store
  return {
    ...(store === undefined
      ? {}
      : {
          store,
          exclude: trashInside(store, target),
          decodeReferences: run.references.map(reference => reference.decode ?? 'auto'),
          ...(run.prefixMismatch === undefined ? {} : { prefixMismatch: run.prefixMismatch }),
          ...(run.equalSchemes === undefined ? {} : { equalSchemes: run.equalSchemes }),
          ...(run.equalAuthorities === undefined ? {} : { equalAuthorities: run.equalAuthorities })
        }),
    grace: run.grace ?? DEFAULT_GRACE,
    acknowledgeZeroGrace: run.acknowledgeZeroGrace === true,
    includeUndated: run.includeUndated === true,
    protect: run.protect ?? [],
    protectHidden: run.protectHidden !== false,
    summaryDepth: run.summaryDepth ?? 1,
    diff: { mode: run.mode ?? 'exact', memory: run.memory ?? DEFAULT_MEMORY }
  }
}

/** The run's quarantine prefix when it lies inside the listed store, so it is never planned (as run-one.ts decides it). */
function trashInside (store: string, target: RunTarget): string[] {
  const sink = target.sink
  const named = sink !== undefined && 'trash' in sink && typeof sink.trash === 'string' ? sink.trash : undefined
  const trash = named ?? target.trash
  if (trash === undefined) return []
  const listed = parseStoreLocation(store)
  const quarantine = parseStoreLocation(trash, 'trash')
  if (listed.scheme !== quarantine.scheme || listed.authority !== quarantine.authority) return []
  if (listed.scheme !== 'file') return quarantine.path === '' ? [] : [quarantine.path]
  const below = relative(listed.path, quarantine.path)
  if (below === '' || below === '..' || below.startsWith(`..${sep}`) || isAbsolute(below)) return []
  const key = below.split(sep).join('/')
  return key === '.keydiff' || key.startsWith('.keydiff/') ? [] : [`${key}/`]
}
