import { InvalidOptionError, PlanRefusedError } from '../errors.ts'
import type { PlanGuardRecord } from './plan-types.ts'
import { formatCount } from '../util/count.ts'

export const DEFAULT_MAX_MISSING_SHARE = 0.5
export const DEFAULT_MAX_ORPHAN_SHARE = 0.9

export interface PlanGuardOptions {
  /** @default false */
  allowEmptyReferences?: boolean
  /** @default 0.5 */
  maxMissingShare?: number
  /** @default 0.9 */
  maxOrphanShare?: number
}

export type PlanGuardLimits = Pick<PlanGuardRecord, 'allowEmptyReferences' | 'maxMissingShare' | 'maxOrphanShare'>

/** What a finished diff measured, for the guards. */
export interface GuardCounts {
  /** Candidates the diff read (after the exclusions). */
  candidates: number
  /** Reference rows the diff read. */
  references: number
  /** Candidates that no reference names. */
  orphans: number
  /** Distinct references that named no candidate; undefined when not counted. */
  missing: number | undefined
  /** Orphans that would be planned. */
  planned: number
}

/** Checks the guard options before any work starts. */
export function planGuardLimits (options: PlanGuardOptions): PlanGuardLimits {
  return {
    allowEmptyReferences: options.allowEmptyReferences === true,
    maxMissingShare: share(options.maxMissingShare ?? DEFAULT_MAX_MISSING_SHARE, 'maxMissingShare'),
    maxOrphanShare: share(options.maxOrphanShare ?? DEFAULT_MAX_ORPHAN_SHARE, 'maxOrphanShare')
  }
}

/** Whether the missing references must be counted: only when their guard is on. */
export function countsMissing (limits: PlanGuardLimits): boolean {
  return limits.maxMissingShare < 1
}

/**
 * The shares the guards judge. The distinct references that matched are the candidates that
 * are not orphans (a store lists each key once), so the missing share is missing ÷ (missing +
 * matched): rows that repeat a key do not dilute it.
 */
export function guardRecord (limits: PlanGuardLimits, counts: GuardCounts): PlanGuardRecord {
  let missingShare: number | null = null
  if (counts.missing !== undefined) {
    const distinct = counts.missing + Math.max(0, counts.candidates - counts.orphans)
    if (distinct > 0) missingShare = counts.missing / distinct
  }
  const orphanShare = counts.candidates === 0 ? null : counts.planned / counts.candidates
  return { ...limits, missingShare, orphanShare }
}

/**
 * Refuses a plan whose inputs look wrong, naming the guard and the option that overrides it:
 * empty references beside stored objects, most references naming nothing stored, or nearly
 * every candidate planned.
 */
export function checkGuards (record: PlanGuardRecord, counts: GuardCounts, where: { store: string, references: readonly string[] }): void {
  const n = formatCount
  if (counts.references === 0 && counts.candidates > 0 && !record.allowEmptyReferences) {
    throw new PlanRefusedError('emptyReferences', 'allowEmptyReferences',
      `no references were read (${where.references.join(', ')}) but ${n(counts.candidates)} objects were listed in ${where.store}: every one would be an orphan, which is nearly always a failed export or an empty query`)
  }
  if (record.missingShare !== null && record.missingShare > record.maxMissingShare) {
    const missing = counts.missing as number
    const distinct = missing + Math.max(0, counts.candidates - counts.orphans)
    throw new PlanRefusedError('missingShare', 'maxMissingShare',
      `${percent(record.missingShare)} of the references (${n(missing)} of ${n(distinct)} distinct keys) name no object listed in ${where.store}, above the limit of ${percent(record.maxMissingShare)}: a wrong prefix, key template or bucket?`)
  }
  if (record.orphanShare !== null && record.orphanShare > record.maxOrphanShare) {
    throw new PlanRefusedError('orphanShare', 'maxOrphanShare',
      `${percent(record.orphanShare)} of the objects listed in ${where.store} (${n(counts.planned)} of ${n(counts.candidates)}) would be planned, above the limit of ${percent(record.maxOrphanShare)}`)
  }
}

function share (value: number, option: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new InvalidOptionError(option, `${JSON.stringify(value)} is not a share between 0 and 1 (1 turns the guard off)`)
  return value
}

function percent (value: number): string {
  const rounded = Math.round(value * 1000) / 10
  return `${rounded}%`
}
