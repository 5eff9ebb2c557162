import type { Sink } from '../contracts/sink.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { runPlan } from './run-plan.ts'

/**
 * Acts on a plan through a sink: the plan's checksum is verified, the lock taken, keys that
 * an earlier run did (per the audit log) skipped, the rest re-checked against every point
 * look-up and acted on in batches with bounded concurrency. Per-key failures are retried with
 * exponential backoff, then reported (never counted as done, never stopping the rest).
 * Every outcome is appended to the audit log, so running the same plan again resumes.
 */
export async function apply (plan: string, sink: Sink, options: ApplyOptions): Promise<ApplyResult> {
  if (sink === null || typeof sink !== 'object' || typeof sink.apply !== 'function') throw new TypeError('apply: a Sink is required')
  return await runPlan(plan, {
    event: 'done',
    sink,
    act: async (batch, signal) => await sink.apply(batch, { signal }),
    select: (entry, state) => !state.done.has(entry.key)
  }, options)
}
