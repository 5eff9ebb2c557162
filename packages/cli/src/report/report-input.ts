import type { RunOutcome } from '../run/run-one.ts'
import { readAuditFrames, recordedTrashes } from './audit-frames.ts'
import type { ReportInput } from './html-report.ts'

/** A run's outcome as the report shows it, with where a quarantine went read from its audit log. */
export async function reportInput (outcome: RunOutcome): Promise<ReportInput> {
  const applied = outcome.applied
  const trash = applied === undefined || applied.action !== 'quarantine'
    ? undefined
    : recordedTrashes(await readAuditFrames(applied.audit), applied.planId)
  return { name: outcome.name, plan: outcome.plan, applied, trash, timings: outcome.timings, config: outcome.config }
}
