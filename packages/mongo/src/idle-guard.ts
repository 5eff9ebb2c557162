import type { MongoClient } from 'mongodb'
import { defaultActivityProbes, lastActivity, type ActivityProbe } from './activity.ts'

export interface IdleGuardOptions {
  /** A database used within this many milliseconds is not dropped. @default 900000 (15 minutes) */
  window?: number
  /** How use is seen; the latest date of all counts. @default [currentOpActivity, lastInsertActivity] */
  probes?: readonly ActivityProbe[]
}

export const DEFAULT_IDLE_WINDOW = 15 * 60 * 1000

/**
 * Why a database must not be dropped now, or undefined when it has been idle for the whole
 * window as far as the probes can see.
 */
export async function activeWithin (client: MongoClient, database: string, options: IdleGuardOptions): Promise<string | undefined> {
  const window = options.window ?? DEFAULT_IDLE_WINDOW
  const at = await lastActivity(client, database, options.probes ?? defaultActivityProbes)
  if (at === undefined) return undefined
  const idleFor = Date.now() - at.getTime()
  if (idleFor >= window) return undefined
  return `database ${database} was used at ${at.toISOString()}, within the idle window of ${Math.round(window / 1000)} s; not dropped`
}
