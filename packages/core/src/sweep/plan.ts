import { diff } from '../engine/diff.ts'
import { InvalidOptionError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource, type KeySource, type KeySourceLike } from '../keys/key-source.ts'
import { protectedMatcher } from '../transforms/exclude.ts'
import { formatStoreLocation, parseStoreLocation } from '../location/store-location.ts'
import { createFence, graceOf } from './fence.ts'
import { PlanWriter } from './plan-writer.ts'
import type { PlanCounts, PlanHeader, PlanOptions, PlanSummary } from './plan-types.ts'
import { PrefixTotals } from './prefix-totals.ts'

/**
 * Runs the diff and writes its orphans to a plan file, leaving out what must not be acted
 * on: keys modified after the time fence, keys without a modification time (unless asked),
 * and protected keys. Nothing is acted on: a dry run is exactly this. A source that fails
 * fails the plan, and no plan file is written.
 */
export async function plan (options: PlanOptions): Promise<PlanSummary> {
  if (options === null || typeof options !== 'object') throw new TypeError('plan: options are required')
  if (typeof options.out !== 'string' || options.out.length === 0) throw new InvalidOptionError('out', 'the plan file path is required')
  graceOf(options)
  const isProtected = protectedMatcher(options.protect ?? [])
  const totals = new PrefixTotals(options.summaryDepth ?? 1)
  const referenceList = Array.isArray(options.references) ? options.references as readonly KeySourceLike[] : [options.references as KeySourceLike]
  if (referenceList.length === 0) throw new InvalidOptionError('references', 'at least one reference source is required: with none, every candidate would be an orphan')
  const references: KeySource[] = referenceList.map((source, i) => toKeySource(source, `references#${i + 1}`))
  const candidates = toKeySource(options.candidates, 'candidates')
  const startedAt = new Date()
  const run = diff({ ...options.diff, candidates, references, signal: options.signal })

  const counts: PlanCounts = { candidates: 0, references: 0, orphans: 0, planned: 0, tooYoung: 0, undated: 0, protected: 0 }
  const bytes = { planned: 0, tooYoung: 0 }
  const writer = await PlanWriter.open(options.out)
  let fence: ReturnType<typeof createFence> | undefined
  try {
    for await (const part of run) {
      if (part.kind !== 'orphans') continue
      // the references are read before any orphan comes out, so their scan start is known here
      fence ??= createFence(scanStart(run.stats.referenceScanStartedAt, references, startedAt), options)
      const planned: KeyEntry[] = []
      for (const entry of part.entries) {
        counts.orphans++
        if (isProtected(entry.key)) {
          counts.protected++
          continue
        }
        const verdict = fence.verdict(entry)
        if (verdict === 'tooYoung') {
          counts.tooYoung++
          bytes.tooYoung += entry.size ?? 0
        } else if (verdict === 'undated') {
          counts.undated++
        } else {
          counts.planned++
          bytes.planned += entry.size ?? 0
          totals.add(entry.key, entry.size ?? 0)
          planned.push(entry)
        }
      }
      await writer.write(planned)
    }
    fence ??= createFence(scanStart(run.stats.referenceScanStartedAt, references, startedAt), options)
    counts.candidates = run.stats.candidates.count
    counts.references = run.stats.references.count
    const header: PlanHeader = {
      keydiff: 'plan',
      version: 1,
      createdAt: new Date().toISOString(),
      store: storeOf(options.store, candidates.name),
      candidates: candidates.name,
      references: references.map(source => source.name),
      mode: run.stats.mode,
      referenceScanStartedAt: new Date(fence.time.getTime() + fence.graceMs).toISOString(),
      graceMs: fence.graceMs,
      fence: fence.time.toISOString(),
      includeUndated: fence.includeUndated,
      protect: [...(options.protect ?? [])],
      counts,
      bytes,
      body: writer.digest()
    }
    await writer.finish(header)
    return { path: writer.path, header, prefixes: totals.list(), diff: run.stats }
  } catch (error) {
    await writer.abort()
    throw error
  }
}

/** The plan's store: as given, else the location a directory source names itself by. */
function storeOf (store: string | undefined, candidates: string): string | null {
  if (store !== undefined) return formatStoreLocation(parseStoreLocation(store))
  if (candidates.startsWith('dir:/')) return formatStoreLocation(parseStoreLocation(candidates, 'candidates'))
  return null
}

/**
 * The earliest scan start among the references: the fence must hold for the oldest
 * snapshot. A source that does not say when it started is taken to have started when the
 * plan did, which is earlier than any scan could and so errs on the safe side.
 */
function scanStart (recorded: string | undefined, references: readonly KeySource[], planStarted: Date): Date {
  let earliest = recorded === undefined ? planStarted : new Date(recorded)
  for (const source of references) {
    const started = source.scanStartedAt
    if (started !== undefined && started.getTime() < earliest.getTime()) earliest = started
  }
  if (Number.isNaN(earliest.getTime())) return planStarted
  return earliest
}
