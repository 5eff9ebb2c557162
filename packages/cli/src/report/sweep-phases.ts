import type { ApplyResult, PlanProgress } from '@keydiff/core'
import type { ProgressState } from './progress.ts'

/** What a Progress reads, and the callback that keeps it current. */
export interface PhaseFeed<T> {
  onProgress: (live: Readonly<T>) => void
  read: () => ProgressState[]
}

const PLAN_PHASES = ['references', 'listing', 'diff', 'plan'] as const

/**
 * A plan's phases as the engine reports them: references, listing (with the orphans found
 * so far), diff (draining what was spilled), plan (guards and header), with an ETA where
 * the sources' estimated counts are given.
 */
export function planPhases (label: string, estimates: { references?: number | undefined, listing?: number | undefined } = {}): PhaseFeed<PlanProgress> {
  let live: Readonly<PlanProgress> | undefined
  return {
    onProgress: progress => { live = progress },
    read: () => {
      if (live === undefined) return []
      const engine = live.diff.phase
      // a phase passed between two reads is still listed: every phase up to the current one
      const current = live.phase === 'plan' ? 3 : engine === 'finishing' || engine === 'done' ? 2 : engine === 'candidates' ? 1 : 0
      const reached = PLAN_PHASES.slice(0, current + 1)
      const stats = live.diff
      return reached.map(phase => {
        if (phase === 'references') return { phase: `${label}references`, count: stats.references.count, estimate: estimates.references }
        if (phase === 'listing') return { phase: `${label}listing`, count: stats.candidates.count, estimate: estimates.listing, orphans: stats.orphans.count }
        if (phase === 'diff') return { phase: `${label}diff`, count: stats.orphans.count, unit: 'orphans' }
        return { phase: `${label}plan`, count: live?.planned ?? 0, unit: 'keys planned' }
      })
    }
  }
}

/**
 * An apply's phases: the re-check (keys looked up, dropped) runs batch by batch just ahead
 * of the action, so the two are shown side by side; without re-check sources there is none.
 */
export function applyPhases (label: string, action: string, planned: number, rechecking: boolean): PhaseFeed<ApplyResult> {
  let totals: Readonly<ApplyResult> | undefined
  return {
    onProgress: result => { totals = result },
    read: () => [
      ...(rechecking ? [{ phase: `${label}re-check`, count: totals?.rechecked ?? 0, estimate: planned, dropped: totals?.dropped ?? 0, unit: 'keys looked up', done: false }] : []),
      { phase: `${label}apply (${action})`, count: totals === undefined ? 0 : totals.done + totals.failed, estimate: planned - (totals?.dropped ?? 0) }
    ]
  }
}
