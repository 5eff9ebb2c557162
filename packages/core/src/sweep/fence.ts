import { InvalidOptionError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { parseDuration } from './duration.ts'

export const DEFAULT_GRACE = '24h'

export interface FenceOptions {
  /** @default '24h' */
  grace?: number | string
  /** @default false */
  acknowledgeZeroGrace?: boolean
  /** @default false */
  includeUndated?: boolean
}

export type FenceVerdict = 'planned' | 'tooYoung' | 'undated'

export interface Fence {
  readonly graceMs: number
  readonly time: Date
  readonly includeUndated: boolean
  verdict: (entry: KeyEntry) => FenceVerdict
}

/** Checks the grace options before any work starts; zero needs its acknowledgement. */
export function graceOf (options: FenceOptions): number {
  const graceMs = parseDuration(options.grace ?? DEFAULT_GRACE, 'grace')
  if (graceMs === 0 && options.acknowledgeZeroGrace !== true) {
    throw new InvalidOptionError('grace', 'a grace of 0 can delete objects whose reference was being written while the scan ran; set acknowledgeZeroGrace to confirm')
  }
  return graceMs
}

/**
 * The time fence: a candidate modified after the reference scan's start minus the grace
 * may belong to a reference the scan did not see, so it is never planned ("too young").
 * A candidate with no lastModified cannot be fenced and is planned only when asked.
 */
export function createFence (referenceScanStartedAt: Date, options: FenceOptions): Fence {
  const graceMs = graceOf(options)
  const time = new Date(referenceScanStartedAt.getTime() - graceMs)
  const limit = time.getTime()
  const includeUndated = options.includeUndated === true
  return {
    graceMs,
    time,
    includeUndated,
    verdict: entry => {
      const modified = entry.lastModified?.getTime()
      if (modified === undefined || Number.isNaN(modified)) return includeUndated ? 'planned' : 'undated'
      return modified > limit ? 'tooYoung' : 'planned'
    }
  }
}

/** When the references were true, and how that is known. */
export interface BasisTime {
  time: Date
  /** The reference source it came from; null when declared or when no source said. */
  source: string | null
  /** `declared`, `plan started`, or the source's `scanBasis` (`read started` when it names none). */
  basis: string
}

/**
 * Checks a declared `referencesAsOf` before any work starts: a Date or an ISO time, not in
 * the future (references cannot have been true at a time still to come).
 */
export function declaredBasis (value: Date | string | undefined, now: Date): BasisTime | undefined {
  if (value === undefined) return undefined
  const time = value instanceof Date ? new Date(value.getTime()) : typeof value === 'string' ? new Date(value) : undefined
  if (time === undefined || Number.isNaN(time.getTime())) throw new InvalidOptionError('referencesAsOf', `${JSON.stringify(value)} is not a time (an ISO time such as 2026-01-31T12:00:00Z, or a Date)`)
  if (time.getTime() > now.getTime()) throw new InvalidOptionError('referencesAsOf', `${time.toISOString()} is in the future: the references cannot have been true then`)
  return { time, source: null, basis: 'declared' }
}

/**
 * The earliest time any reference source was true: the fence must hold for the oldest
 * snapshot. A source's `scanStartedAt` is when it was true (an export's file time, an
 * inventory's creation, a scan's start); a source that does not say is taken to have been
 * true when the plan started, which is earlier than any scan could start.
 */
export function earliestBasis (references: readonly KeySource[], planStarted: Date): BasisTime {
  let earliest: BasisTime | undefined
  for (const source of references) {
    const started = source.scanStartedAt
    const basis: BasisTime = started === undefined || Number.isNaN(started.getTime())
      ? { time: planStarted, source: null, basis: 'plan started' }
      : { time: started, source: source.name, basis: source.scanBasis ?? 'read started' }
    if (earliest === undefined || basis.time.getTime() < earliest.time.getTime()) earliest = basis
  }
  return earliest ?? { time: planStarted, source: null, basis: 'plan started' }
}
