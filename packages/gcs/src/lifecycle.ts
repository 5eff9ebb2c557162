import type { Storage } from '@google-cloud/storage'
import { InvalidOptionError } from '@keydiff/core'
import { GcsOptions, type LegacyStorageOptions } from './options.ts'
import { call } from './request.ts'

/** `hold`: objects carry an event-based hold until released; `customTime`: the release writes customTime. */
export type SoftDeleteMode = 'hold' | 'customTime'

export interface SoftDeleteRuleOptions {
  /** Which soft-delete sink is in use. Required. */
  mode: SoftDeleteMode
  /** Days after which an unprotected object is deleted. Required. */
  days: number
  /** Only objects under these prefixes. @default every object */
  prefixes?: readonly string[]
}

/** A lifecycle rule as the JSON API and `gcloud storage buckets update --lifecycle-file` take it. */
export interface LifecycleRuleJson {
  action: { type: 'Delete' }
  condition: { age?: number, daysSinceCustomTime?: number, matchesPrefix?: string[] }
}

export interface ApplySoftDeleteLifecycleOptions extends SoftDeleteRuleOptions {
  /** The user's client. Required. */
  client: Storage
  /** Bucket name. Required. */
  bucket: string
  /**
   * Hold mode only: an age rule deletes every object without a hold, live or not, so it is
   * refused until the caller confirms that every live object is held (`migrateToHolds`).
   * @default false
   */
  confirmLiveObjectsHeld?: boolean
  /** Hold mode only: also turn on the bucket's default event-based hold, so new objects start held. @default false */
  defaultEventBasedHold?: boolean
  /** Billed project for requester-pays buckets. @default undefined */
  userProject?: string
}

export interface AppliedLifecycle {
  /** The bucket's rules after the call. */
  rules: LifecycleRuleJson[]
  /** False when an equal rule was there already. */
  added: boolean
  defaultEventBasedHold: boolean
}

/** The Delete rule that each soft-delete mode needs. */
export function softDeleteLifecycleRule (options: SoftDeleteRuleOptions): LifecycleRuleJson {
  if (options.mode !== 'hold' && options.mode !== 'customTime') throw new InvalidOptionError('mode', `must be 'hold' or 'customTime', got ${String(options.mode)}`)
  if (!Number.isInteger(options.days) || options.days < 0) throw new InvalidOptionError('days', `must be a whole number of days, got ${options.days}`)
  const condition: LifecycleRuleJson['condition'] = options.mode === 'hold' ? { age: options.days } : { daysSinceCustomTime: options.days }
  if (options.prefixes !== undefined && options.prefixes.length > 0) condition.matchesPrefix = [...options.prefixes]
  return { action: { type: 'Delete' }, condition }
}

/** The lifecycle file to give `gcloud storage buckets update --lifecycle-file`, and what else to run. */
export function describeSoftDeleteLifecycle (bucket: string, options: SoftDeleteRuleOptions): string {
  const file = JSON.stringify({ rule: [softDeleteLifecycleRule(options)] }, null, 2)
  const steps = [
    `# lifecycle.json for gs://${bucket} (merge with any rules the bucket already has)`,
    file,
    `gcloud storage buckets update gs://${bucket} --lifecycle-file=lifecycle.json`
  ]
  if (options.mode === 'hold') {
    steps.push(
      '# first hold every live object (migrateToHolds), then make new objects start held:',
      `gcloud storage buckets update gs://${bucket} --default-event-based-hold`
    )
  }
  return steps.join('\n')
}

function sameRule (a: LifecycleRuleJson, b: LifecycleRuleJson): boolean {
  return JSON.stringify(a) === JSON.stringify(b)
}

/**
 * Adds the soft-delete rule to a bucket's lifecycle, keeping its other rules, guarded by the
 * bucket's metageneration so a concurrent change is not overwritten. Applying twice adds it once.
 */
export async function applySoftDeleteLifecycle (options: ApplySoftDeleteLifecycleOptions | LegacyStorageOptions<ApplySoftDeleteLifecycleOptions>): Promise<AppliedLifecycle> {
  const check = new GcsOptions('applySoftDeleteLifecycle', options)
  const client = check.client(options)
  const bucketName = check.bucket(options.bucket)
  const rule = softDeleteLifecycleRule(options)
  if (options.mode === 'hold' && options.confirmLiveObjectsHeld !== true) {
    throw new InvalidOptionError('confirmLiveObjectsHeld', `an age rule on gs://${options.bucket} deletes every object without a hold; hold the live objects first (migrateToHolds) and pass confirmLiveObjectsHeld: true`)
  }
  const bucket = client.bucket(bucketName)
  const current = await call<{ metageneration: string, lifecycle?: { rule?: LifecycleRuleJson[] }, defaultEventBasedHold?: boolean }>(bucket, {
    uri: '', qs: { fields: 'metageneration,lifecycle,defaultEventBasedHold', userProject: options.userProject }
  })
  const rules = current.lifecycle?.rule ?? []
  const added = !rules.some(existing => sameRule(existing, rule))
  const hold = options.mode === 'hold' && options.defaultEventBasedHold === true
  if (!added && (!hold || current.defaultEventBasedHold === true)) {
    return { rules, added, defaultEventBasedHold: current.defaultEventBasedHold === true }
  }
  const json: Record<string, unknown> = { lifecycle: { rule: added ? [...rules, rule] : rules } }
  if (hold) json.defaultEventBasedHold = true
  const updated = await call<{ lifecycle?: { rule?: LifecycleRuleJson[] }, defaultEventBasedHold?: boolean }>(bucket, {
    method: 'PATCH', uri: '', qs: { ifMetagenerationMatch: current.metageneration, userProject: options.userProject }, json
  })
  return { rules: updated.lifecycle?.rule ?? [], added, defaultEventBasedHold: updated.defaultEventBasedHold === true }
}
