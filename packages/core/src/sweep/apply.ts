import type { Sink } from '../contracts/sink.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { runPlan } from './run-plan.ts'

/**
 * Acts on a plan through a sink: the plan is read once into a private copy and verified
 * against its checksums (header and body), and acted on from that copy alone; a sink that
 * acts on another store than the plan's is refused (KEYDIFF_PLAN_STORE), as is a plan or a
 * sink that names no store unless `allowUnboundPlan`. Then the lock is taken, keys that
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
    select: (entry, state) => state.done.has(entry.key) ? 'skip' : 'act'
  }, options)
}
