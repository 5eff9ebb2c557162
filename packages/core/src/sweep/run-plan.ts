import type { SinkOutcome } from '../contracts/sink.ts'
import { AbortError, InvalidOptionError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { actOnBatch } from './act-on-batch.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { AuditLog, type AuditRecord } from './audit-log.ts'
import { readPlan } from './plan-reader.ts'

const MAX_LISTED_FAILURES = 1000

export interface PlanRun {
  /** `done` for apply, `restored` for restore. */
  event: 'done' | 'restored'
  sink: { name: string, action: string, maxBatch?: number | undefined }
  act: (batch: readonly KeyEntry[], signal?: AbortSignal) => Promise<SinkOutcome[]>
  /** Which entries of the plan this run acts on, given the audit log's state. */
  select: (entry: KeyEntry, state: { done: Set<string> }) => boolean
}

function positiveInteger (value: number | undefined, fallback: number, option: string): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < 1) throw new InvalidOptionError(option, `${String(value)} is not a positive integer`)
  return result
}

/**
 * Drives a plan through a sink: checks the plan's checksum, takes the lock, reads the audit
 * log to skip what earlier runs did, acts on batches a few at a time, and appends every
 * outcome to the log. A failed key never stops the others.
 */
export async function runPlan (planPath: string, run: PlanRun, options: ApplyOptions): Promise<ApplyResult> {
  if (options === null || typeof options !== 'object' || options.lock === undefined) {
    throw new InvalidOptionError('lock', 'a Lock is required (lockFile(...), an adapter\'s lock), or null to run without one')
  }
  const concurrency = positiveInteger(options.concurrency, 4, 'concurrency')
  const batchSize = positiveInteger(options.batchSize, Math.min(run.sink.maxBatch ?? 1000, 100_000), 'batchSize')
  const retries = options.retries ?? 4
  if (!Number.isInteger(retries) || retries < 0) throw new InvalidOptionError('retries', `${retries} is not a non-negative integer`)
  const signal = options.signal
  signal?.throwIfAborted()
  const plan = await readPlan(planPath)
  const planId = plan.header.body.sha256
  const auditPath = options.audit ?? `${plan.path}.audit.jsonl`
  const result: ApplyResult = {
    plan: plan.path,
    planId,
    action: run.sink.action,
    sink: run.sink.name,
    audit: auditPath,
    planned: plan.header.body.lines,
    skipped: 0,
    dropped: 0,
    done: 0,
    bytesDone: 0,
    failed: 0,
    failures: [],
    takenOver: undefined
  }
  const lease = options.lock === null ? undefined : await options.lock.acquire({ force: options.force === true, owner: options.owner })
  result.takenOver = lease?.takenOver
  const log = await AuditLog.open(auditPath)
  const frame = { plan: planId, action: run.sink.action, sink: run.sink.name }
  try {
    const state = await AuditLog.state(auditPath, planId, run.sink.action)
    await log.append([{ at: new Date().toISOString(), event: 'start', ...frame, run: run.event === 'done' ? 'apply' : 'restore', lock: lease?.info ?? null, takenOver: lease?.takenOver ?? null }])
    let fatal: unknown
    const running = new Set<Promise<void>>()
    const process = async (entries: KeyEntry[]): Promise<void> => {
      const outcome = await actOnBatch(entries, { ...options, retries, act: run.act, recheck: run.event === 'done' ? options.recheck ?? [] : [], signal })
      const at = new Date().toISOString()
      const records: AuditRecord[] = []
      for (const entry of outcome.done) {
        records.push({ at, event: run.event, ...frame, key: entry.key })
        result.bytesDone += entry.size ?? 0
      }
      for (const { entry, referencedBy } of outcome.dropped) records.push({ at, event: 'dropped', ...frame, key: entry.key, referencedBy })
      for (const { entry, error, attempts } of outcome.failed) {
        records.push({ at, event: 'failed', ...frame, key: entry.key, error, attempts })
        if (result.failures.length < MAX_LISTED_FAILURES) result.failures.push({ key: entry.key, error, attempts })
      }
      await log.append(records)
      result.done += outcome.done.length
      result.dropped += outcome.dropped.length
      result.failed += outcome.failed.length
      options.onProgress?.(result)
    }
    try {
      for await (const batch of plan.batches(batchSize)) {
        if (fatal !== undefined || signal?.aborted === true) break
        const todo = batch.filter(entry => run.select(entry, state))
        result.skipped += batch.length - todo.length
        if (todo.length === 0) continue
        // a plan may repeat a key (bloom mode): act on it once per run
        if (run.event === 'done') for (const entry of todo) state.done.add(entry.key)
        const task: Promise<void> = process(todo).catch((error: unknown) => { fatal ??= error }).finally(() => running.delete(task))
        running.add(task)
        if (running.size >= concurrency) await Promise.race(running)
      }
    } finally {
      // batches in flight finish and are logged, whatever stopped the reading
      await Promise.all(running)
    }
    if (fatal !== undefined) throw fatal
    if (signal?.aborted === true) throw new AbortError(`the ${run.event === 'done' ? 'apply' : 'restore'} of ${plan.path} was aborted; run it again to resume`, { cause: signal.reason })
    const { failures: _, ...totals } = result
    await log.append([{ at: new Date().toISOString(), event: 'end', ...frame, ...totals }])
    return result
  } finally {
    await log.close()
    await lease?.release()
  }
}
