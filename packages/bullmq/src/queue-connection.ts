import type { ConnectionOptions } from 'bullmq'

/** The queue every keydiff worker and coordinator use unless told another. */
export const DEFAULT_QUEUE = 'keydiff'

/** The job names of a run's two flows. */
export const JOB = {
  scatter: 'scatter-references',
  collectScatter: 'collect-scatter',
  planShard: 'plan-shard',
  collectPlan: 'collect-plan',
  applyPart: 'apply-part',
  collectApply: 'collect-apply'
} as const

/**
 * BullMQ's connection for a `redis://host:port/db` URL (or `rediss://`). Workers need
 * `maxRetriesPerRequest: null`: a blocking read must outlast a Redis restart, not fail the worker.
 */
export function queueConnection (url: string): ConnectionOptions {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`${JSON.stringify(url)} is not a Redis URL (redis://host:6379/0)`)
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new TypeError(`${JSON.stringify(url)} is not a Redis URL (redis://host:6379/0)`)
  return { url, maxRetriesPerRequest: null }
}

/** A run's id names its directory in shared storage: letters, digits, `.`, `_` and `-`. */
export function checkRunId (run: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(run)) throw new TypeError(`${JSON.stringify(run)} is not a run id (letters, digits, ".", "_" and "-", at most 128)`)
  return run
}

/** A new run id: the time it started and a random tail, sortable by start. */
export function newRunId (now = new Date()): string {
  return `${now.toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`
}
