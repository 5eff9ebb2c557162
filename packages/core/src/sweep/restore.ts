import type { RestorableSink } from '../contracts/sink.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { AuditLog, type AuditState } from './audit-log.ts'
import { PlanError } from './plan-error.ts'
import { readPlan } from './plan-reader.ts'
import { runPlan } from './run-plan.ts'

export type RestoreOptions = Omit<ApplyOptions, 'recheck'>

/** What a restore did, and why it left the plan's other keys alone: `skipped` split in two. */
export interface RestoreResult extends ApplyResult {
  /** Keys no apply of this plan quarantined (not reached yet, dropped by the re-check, or failed): nothing to restore. */
  notQuarantined: number
  /** Keys an earlier restore brought back already. */
  restoredBefore: number
}

export interface RecordedTrashOptions {
  /** The audit log. @default `<plan>.audit.jsonl` */
  audit?: string
  /** The action whose runs are read. @default 'quarantine' */
  action?: string
}

/** The trashes that keys still to restore were moved into, with how many keys each. */
function trashCounts (state: AuditState): Map<string, number> {
  const counts = new Map<string, number>()
  for (const key of state.done) {
    const trash = state.trash.get(key)
    if (trash !== undefined) counts.set(trash, (counts.get(trash) ?? 0) + 1)
  }
  return counts
}

/**
 * Where the keys of a plan that are still quarantined went, as the audit log's `start`
 * records name them (locations such as `file:///data/trash`, `s3://bucket/.keydiff-trash/`),
 * most keys first; empty when no run recorded one. Build the restore's sink on these.
 */
export async function recordedTrash (plan: string, options: RecordedTrashOptions = {}): Promise<string[]> {
  const file = await readPlan(plan)
  const state = await AuditLog.state(options.audit ?? `${file.path}.audit.jsonl`, file.header.checksum, options.action ?? 'quarantine')
  return [...trashCounts(state)].sort((a, b) => b[1] - a[1]).map(([trash]) => trash)
}

/**
 * Undoes what earlier applies of a plan did through a restorable sink (quarantine, soft
 * delete): the keys the audit log records as done, and not restored since, are restored in
 * batches with the same retries, and each is logged as `restored`. The keys it leaves alone
 * are counted by why: `notQuarantined` and `restoredBefore` (together `skipped`), and
 * `otherTrash`. The plan is verified and bound to the sink's store as in `apply`, and the
 * same lock is taken. A key that its run recorded moving into another trash than the sink's
 * is left for a restore from there (`otherTrash`); a sink whose trash holds none of them is
 * refused (KEYDIFF_PLAN_STORE), naming where they went (see recordedTrash).
 */
export async function restore (plan: string, sink: RestorableSink, options: RestoreOptions): Promise<RestoreResult> {
  if (sink === null || typeof sink !== 'object' || typeof sink.restore !== 'function') throw new TypeError('restore: a RestorableSink is required')
  const skipped = { notQuarantined: 0, restoredBefore: 0 }
  const result = await runPlan(plan, {
    event: 'restored',
    sink,
    act: async (batch, signal) => await sink.restore(batch, { signal }),
    select: (entry, state, trash) => {
      if (!state.done.has(entry.key)) {
        if (state.restored.has(entry.key)) skipped.restoredBefore++
        else skipped.notQuarantined++
        return 'skip'
      }
      const went = state.trash.get(entry.key)
      return trash === undefined || went === undefined || went === trash ? 'act' : 'otherTrash'
    },
    check: (state, trash, path) => {
      if (trash === undefined) return
      const counts = trashCounts(state)
      if (counts.size === 0 || counts.has(trash)) return
      // keys whose run recorded no trash may be in this one; only a trash that can hold none of them is refused
      for (const key of state.done) if (!state.trash.has(key)) return
      const where = [...counts].map(([place, count]) => `${place} (${count} keys)`).join(', ')
      throw new PlanError(path, `its quarantined keys went to ${where}, not to ${trash}, the trash of ${sink.name}: restore from there`, { code: 'KEYDIFF_PLAN_STORE' })
    }
  }, options)
  return { ...result, ...skipped }
}
