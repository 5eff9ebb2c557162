import { isAbsolute, relative, sep } from 'node:path'
import { DEFAULT_GRACE, DEFAULT_MEMORY, parseStoreLocation, type PlanOptions } from '@keydiff/core'
import type { RunConfig } from '../config/config-types.ts'
import type { RunTarget } from './build-store.ts'

/** What a run's section sets of `plan()` besides its sources, its guards and its fence's base. */
export type RunPlanSettings = Pick<PlanOptions, 'store' | 'exclude' | 'decodeReferences' | 'prefixMismatch' | 'equalSchemes' | 'equalAuthorities' |
  'grace' | 'acknowledgeZeroGrace' | 'includeUndated' | 'protect' | 'protectHidden' | 'summaryDepth' | 'diff'>

/** A run's plausibility guards: judged by `plan()` in one process, once on the merged counts in a distributed run. */
export type RunGuards = Pick<PlanOptions, 'allowEmptyReferences' | 'maxMissingShare' | 'maxOrphanShare'>

/**
 * The plan settings of a run, as `keydiff run` and a distributed run's shards give them to
 * `plan()`. A store's listing names its location: references are resolved against it, the
 * plan binds it, and the run's quarantine inside it is never planned.
 */
export function runPlanSettings (run: RunConfig, target: RunTarget): RunPlanSettings {
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

export function runGuards (run: RunConfig): RunGuards {
  return {
    allowEmptyReferences: run.allowEmptyReferences === true,
    ...(run.maxMissingShare === undefined ? {} : { maxMissingShare: run.maxMissingShare }),
    ...(run.maxOrphanShare === undefined ? {} : { maxOrphanShare: run.maxOrphanShare })
  }
}

/**
 * The key prefix of the run's quarantine when it lies inside the listed store, so that what
 * was quarantined is never planned again. The sink names its trash when it can; otherwise
 * the store's driver says where the action's quarantine goes. keydiff's own `.keydiff/` is
 * never a candidate anyway.
 */
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
