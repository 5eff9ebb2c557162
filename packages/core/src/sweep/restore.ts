import type { RestorableSink } from '../contracts/sink.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { runPlan } from './run-plan.ts'

export type RestoreOptions = Omit<ApplyOptions, 'recheck'>

/**
 * Undoes what earlier applies of a plan did through a restorable sink (quarantine, soft
 * delete): the keys the audit log records as done, and not restored since, are restored in
 * batches with the same retries, and each is logged as `restored`. The same lock is taken.
 */
export async function restore (plan: string, sink: RestorableSink, options: RestoreOptions): Promise<ApplyResult> {
  if (sink === null || typeof sink !== 'object' || typeof sink.restore !== 'function') throw new TypeError('restore: a RestorableSink is required')
  return await runPlan(plan, {
    event: 'restored',
    sink,
    act: async (batch, signal) => await sink.restore(batch, { signal }),
    select: (entry, state) => state.done.has(entry.key)
  }, options)
}
