import { dirname, resolve } from 'node:path'
import type { ActionRecord, AuditSink } from '../contracts/audit-sink.ts'
import type { SinkOutcome } from '../contracts/sink.ts'
import { AbortError, InvalidOptionError, SinkError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { formatStoreLocation, parseStoreLocation, storeContains } from '../location/store-location.ts'
import { refuseTrashInsideStore } from './trash-inside-store.ts'
import { actOnBatch, type BatchResult } from './act-on-batch.ts'
import type { ApplyOptions, ApplyResult } from './apply-types.ts'
import { AuditLog, type AuditRecord, type AuditState } from './audit-log.ts'
import { PlanError } from './plan-error.ts'
import { snapshotPlan, type PlanFile } from './plan-reader.ts'

const MAX_LISTED_FAILURES = 1000

/** What a run does with one entry of the plan: act on it, skip it (done before), or leave it to a restore from another trash. */
export type PlanRunVerdict = 'act' | 'skip' | 'otherTrash'

export interface PlanRun {
  /** `done` for apply, `restored` for restore. */
  event: 'done' | 'restored'
  sink: { name: string, action: string, maxBatch?: number | undefined, store?: string | undefined, trash?: string | undefined }
  act: (batch: readonly KeyEntry[], signal?: AbortSignal) => Promise<SinkOutcome[]>
  /** What this run does with an entry of the plan, given the audit log's state; `trash` is the sink's, as a canonical location. */
  select: (entry: KeyEntry, state: AuditState, trash: string | undefined) => PlanRunVerdict
  /** Throws when the run must not start, given the audit log's state (nothing is acted on). @default none */
  check?: (state: AuditState, trash: string | undefined, plan: string) => void
}

function positiveInteger (value: number | undefined, fallback: number, option: string): number {
  const result = value ?? fallback
  if (!Number.isInteger(result) || result < 1) throw new InvalidOptionError(option, `${String(value)} is not a positive integer`)
  return result
}

/** A location as the audit log records it; a sink that names a malformed one is a programmer's mistake to report. */
function canonicalLocation (text: string | undefined, option: string): string | undefined {
  return text === undefined ? undefined : formatStoreLocation(parseStoreLocation(text, option))
}

/**
 * Checks that the sink acts on the store the plan was made for. Both named: the sink's
 * store must hold the plan's (no option overrides that). Either unnamed: refused unless
 * `allowUnboundPlan`, since nothing then says the sink is not acting on another store.
 */
function checkBinding (plan: PlanFile, sink: PlanRun['sink'], allowUnbound: boolean): boolean {
  const planned = plan.header.store
  if (planned !== null && sink.store !== undefined) {
    let planStore
    try {
      planStore = parseStoreLocation(planned, 'store')
    } catch (error) {
      throw new PlanError(plan.path, `its store ${JSON.stringify(planned)} is not a location`, { line: 1, cause: error })
    }
    const sinkStore = parseStoreLocation(sink.store, `${sink.name} store`)
    if (!storeContains(sinkStore, planStore)) {
      throw new PlanError(plan.path, `it was made for ${planned}, and ${sink.name} acts on ${formatStoreLocation(sinkStore)}: a plan acts only on the store it was made for; make a plan for this store`, { code: 'KEYDIFF_PLAN_STORE' })
    }
    return true
  }
  if (allowUnbound) return false
  const why = planned === null
    ? `it names no store, so nothing says that ${sink.name} acts on the store it was made for; make it with the store option, or set allowUnboundPlan`
    : `${sink.name} names no store, so nothing says that it acts on ${planned}, the plan's store; set allowUnboundPlan to act anyway`
  throw new PlanError(plan.path, why, { code: 'KEYDIFF_PLAN_STORE' })
}

/**
 * Drives a plan through a sink: reads and verifies the plan once into a private copy that
 * is all it acts on, checks that the sink acts on the plan's store, takes the lock, reads
 * the audit log to skip what earlier runs did, acts on batches a few at a time, and appends
 * every outcome to the log. A failed key never stops the others.
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
  const store = canonicalLocation(run.sink.store, `${run.sink.name} store`)
  const trash = canonicalLocation(run.sink.trash, `${run.sink.name} trash`)
  const auditPath = resolve(options.audit ?? `${resolve(planPath)}.audit.jsonl`)
  // the plan is read once, into a copy beside the audit log: a plan file rewritten from now on changes nothing
  const plan = await snapshotPlan(planPath, dirname(auditPath))
  try {
    const bound = checkBinding(plan, run.sink, options.allowUnboundPlan === true)
    if (run.event === 'done') refuseTrashInsideStore(plan.header, trash)
    return await drive(plan, run, options, { auditPath, concurrency, batchSize, retries, store, trash, bound })
  } finally {
    await plan.remove()
  }
}

interface DriveSettings {
  auditPath: string
  concurrency: number
  batchSize: number
  retries: number
  store: string | undefined
  trash: string | undefined
  bound: boolean
}

/** Tells each audit sink what the batch did; a sink that fails stops the run, naming it. */
async function writeAuditSinks (sinks: readonly AuditSink[], outcome: BatchResult, action: string, at: Date): Promise<void> {
  if (sinks.length === 0 || outcome.done.length + outcome.failed.length === 0) return
  const records: ActionRecord[] = [
    ...outcome.done.map(entry => ({ key: entry.key, size: entry.size, action, ok: true, at })),
    ...outcome.failed.map(({ entry, error }) => ({ key: entry.key, size: entry.size, action, ok: false, error, at }))
  ]
  for (const sink of sinks) {
    try {
      await sink.write(records)
    } catch (error) {
      throw new SinkError(`could not record ${records.length} keys, so the run stops before acting on more; the audit log holds every batch acted on: ${error instanceof Error ? error.message : String(error)}`, { target: `audit sink ${sink.name}`, cause: error })
    }
  }
}

async function drive (plan: PlanFile, run: PlanRun, options: ApplyOptions, settings: DriveSettings): Promise<ApplyResult> {
  const { auditPath, concurrency, batchSize, retries } = settings
  const planId = plan.header.checksum
  const result: ApplyResult = {
    plan: plan.path,
    planId,
    action: run.sink.action,
    sink: run.sink.name,
    audit: auditPath,
    planned: plan.header.body.lines,
    skipped: 0,
    otherTrash: 0,
    rechecked: 0,
    dropped: 0,
    done: 0,
    bytesDone: 0,
    failed: 0,
    failures: [],
    takenOver: undefined
  }
  const lease = options.lock === null ? undefined : await options.lock.acquire({ force: options.force === true, owner: options.owner })
  result.takenOver = lease?.takenOver
  // a lease lost (another holder took the lock, or its storage failed until it could run out)
  // stops the run like an abort: acting on would race whoever holds the lock now
  const signal = lease === undefined ? options.signal : options.signal === undefined ? lease.signal : AbortSignal.any([options.signal, lease.signal])
  let log: AuditLog | undefined
  const frame = { plan: planId, action: run.sink.action, sink: run.sink.name }
  try {
    log = await AuditLog.open(auditPath)
    const audit = log
    const state = await AuditLog.state(auditPath, planId, run.sink.action)
    run.check?.(state, settings.trash, plan.path)
    await audit.append([{
      at: new Date().toISOString(),
      event: 'start',
      ...frame,
      run: run.event === 'done' ? 'apply' : 'restore',
      // where the sink acts and where a quarantine goes, so that a restore finds it
      store: settings.store ?? null,
      trash: settings.trash ?? null,
      planStore: plan.header.store,
      bound: settings.bound,
      lock: lease?.info ?? null,
      takenOver: lease?.takenOver ?? null
    }])
    let fatal: unknown
    const running = new Set<Promise<void>>()
    const process = async (entries: KeyEntry[]): Promise<void> => {
      const onRechecked = (count: number): void => {
        result.rechecked += count
        options.onProgress?.(result)
      }
      const outcome = await actOnBatch(entries, { ...options, retries, act: run.act, recheck: run.event === 'done' ? options.recheck ?? [] : [], onRechecked, signal })
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
      await audit.append(records)
      await writeAuditSinks(options.auditSinks ?? [], outcome, run.event === 'done' ? run.sink.action : 'restore', new Date(at))
      result.done += outcome.done.length
      result.dropped += outcome.dropped.length
      result.failed += outcome.failed.length
      options.onProgress?.(result)
    }
    try {
      for await (const batch of plan.batches(batchSize)) {
        if (fatal !== undefined || signal?.aborted === true) break
        const todo: KeyEntry[] = []
        for (const entry of batch) {
          const verdict = run.select(entry, state, settings.trash)
          if (verdict === 'act') todo.push(entry)
          else if (verdict === 'skip') result.skipped++
          else result.otherTrash++
        }
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
    if (lease?.signal.aborted === true) throw lease.signal.reason
    if (signal?.aborted === true) throw new AbortError(`the ${run.event === 'done' ? 'apply' : 'restore'} of ${plan.path} was aborted; run it again to resume`, { cause: signal.reason })
    const { failures: _, plan: planPath, ...totals } = result
    await audit.append([{ at: new Date().toISOString(), event: 'end', ...totals, ...frame, planPath }])
    return result
  } finally {
    await log?.close()
    await lease?.release()
  }
}
