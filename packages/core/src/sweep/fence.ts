import { InvalidOptionError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
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
