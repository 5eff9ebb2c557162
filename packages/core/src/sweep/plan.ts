import { diff } from '../engine/diff.ts'
import { InvalidOptionError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { protectedMatcher } from '../transforms/exclude.ts'
import { formatStoreLocation, parseStoreLocation } from '../location/store-location.ts'
import { ReferenceConflicts } from '../location/reference-conflicts.ts'
import { parseDuration } from './duration.ts'
import { createFence, declaredBasis, earliestBasis, graceOf, type BasisTime } from './fence.ts'
import { excludedMatcher, isHiddenKey, withoutExcluded } from './hidden-keys.ts'
import { checkGuards, countsMissing, guardRecord, planGuardLimits } from './plan-guards.ts'
import { OrphanAgeLedger } from './orphan-age.ts'
import { PLAN_VERSION, PlanWriter, type PlanHeaderDraft } from './plan-writer.ts'
import type { PlanCounts, PlanHeader, PlanOptions, PlanProgress, PlanSummary } from './plan-types.ts'
import { PrefixTotals } from './prefix-totals.ts'
import { noSpaceAt } from '../spill/disk-full-error.ts'
import { withinRange } from '../store/within-range.ts'

/**
 * Runs the diff and writes its orphans to a plan file, leaving out what must not be acted
 * on: keys modified after the time fence, keys without a modification time (unless asked),
 * protected and hidden keys, and keys that are never candidates (`.keydiff`, `exclude`).
 * Nothing is acted on: a dry run is exactly this. A source that fails fails the plan, and a
 * plan whose inputs look wrong is refused by its guards (PlanRefusedError); either way no
 * plan file is written.
 */
export async function plan (options: PlanOptions): Promise<PlanSummary> {
  if (options === null || typeof options !== 'object') throw new TypeError('plan: options are required')
  if (typeof options.out !== 'string' || options.out.length === 0) throw new InvalidOptionError('out', 'the plan file path is required')
  graceOf(options)
  const minOrphanAge = options.minOrphanAge === undefined ? undefined : parseDuration(options.minOrphanAge, 'minOrphanAge')
  if (minOrphanAge !== undefined && (typeof options.orphanAgeDirectory !== 'string' || options.orphanAgeDirectory.length === 0)) {
    throw new InvalidOptionError('orphanAgeDirectory', 'minOrphanAge needs a directory to keep first-seen times in between runs (the run\'s work directory\'s orphan-age/)')
  }
  const limits = planGuardLimits(options)
  const protectHidden = options.protectHidden !== false
  const isExcluded = excludedMatcher(options.exclude ?? [])
  const isProtected = protectedMatcher(options.protect ?? [])
  const totals = new PrefixTotals(options.summaryDepth ?? 1)
  const referenceList = Array.isArray(options.references) ? options.references as readonly KeySourceLike[] : [options.references as KeySourceLike]
  if (referenceList.length === 0) throw new InvalidOptionError('references', 'at least one reference source is required: with none, every candidate would be an orphan')
  const references: KeySource[] = referenceList.map((source, i) => toKeySource(source, `references#${i + 1}`))
  // With a store, references are resolved to its keys; without one they are compared as written.
  const resolution = options.store === undefined ? undefined : new ReferenceConflicts(references, { ...options, store: options.store })
  const range = options.range
  const listed = withinRange(toKeySource(options.candidates, 'candidates'), range)
  const counts: PlanCounts = { candidates: 0, references: 0, orphans: 0, planned: 0, tooYoung: 0, undated: 0, protected: 0, hidden: 0, excluded: 0, unlisted: 0, ...(minOrphanAge === undefined ? {} : { tooRecentlyOrphaned: 0 }) }
  const candidates = withoutExcluded(listed, isExcluded, excluded => { counts.excluded = (counts.excluded ?? 0) + excluded })
  const startedAt = new Date()
  const declared = declaredBasis(options.referencesAsOf, startedAt)
  // Opened before the diff: a run that holds the ledger fails this one at once, not after a
  // listing. The ages count from this run's start, the time it found its orphans.
  const ledger = minOrphanAge === undefined
    ? undefined
    : await OrphanAgeLedger.open({ directory: options.orphanAgeDirectory as string, minAge: minOrphanAge, now: startedAt, scope: storeOf(options.store, candidates.name) ?? candidates.name })
  // Missing references are only counted for their guard, and only exact mode can count them.
  const missing = (options.diff?.mode ?? 'exact') === 'exact' && (options.countMissing === true || countsMissing(limits)) ? 'count' : false
  const resolved: KeySource[] = resolution?.sources ?? references
  const run = diff({ ...options.diff, candidates, references: range === undefined ? resolved : resolved.map(source => withinRange(source, range)), missing, signal: options.signal })
  const basisOf = (): BasisTime => declared ?? earliestBasis(references, startedAt)

  const bytes: PlanHeader['bytes'] = { planned: 0, tooYoung: 0, ...(ledger === undefined ? {} : { tooRecentlyOrphaned: 0 }) }
  let writer: PlanWriter
  try {
    writer = await PlanWriter.open(options.out)
  } catch (error) {
    await ledger?.abort()
    throw error
  }
  let basis: BasisTime | undefined
  let fence: ReturnType<typeof createFence> | undefined
  const progress: PlanProgress = { phase: 'diff', diff: run.stats, planned: 0 }
  options.onProgress?.(progress)
  try {
    for await (const part of run) {
      if (part.kind !== 'orphans') continue
      // the references are read before any orphan comes out, so their scan start is known here
      basis ??= basisOf()
      fence ??= createFence(basis.time, options)
      const admitted: KeyEntry[] = []
      for (const entry of part.entries) {
        counts.orphans++
        if (isProtected(entry.key)) {
          counts.protected++
          continue
        }
        if (protectHidden && isHiddenKey(entry.key)) {
          counts.hidden = (counts.hidden ?? 0) + 1
          continue
        }
        const verdict = fence.verdict(entry)
        if (verdict === 'tooYoung') {
          counts.tooYoung++
          bytes.tooYoung += entry.size ?? 0
        } else if (verdict === 'undated') {
          counts.undated++
        } else if (resolution?.holds(entry.key) !== true) {
          // as Iceberg: only what would be deleted is checked for a prefix mismatch
          admitted.push(entry)
        }
      }
      // Only what the fence lets through is evidence of an orphan: a newer object may belong
      // to a row the scan did not see. One ledger call per batch.
      const ages = ledger === undefined || admitted.length === 0 ? undefined : await ledger.observe(admitted)
      const planned: KeyEntry[] = []
      admitted.forEach((entry, i) => {
        if (ages !== undefined && ages.oldEnough[i] !== true) {
          counts.tooRecentlyOrphaned = (counts.tooRecentlyOrphaned ?? 0) + 1
          bytes.tooRecentlyOrphaned = (bytes.tooRecentlyOrphaned ?? 0) + (entry.size ?? 0)
          return
        }
        counts.planned++
        bytes.planned += entry.size ?? 0
        totals.add(entry.key, entry.size ?? 0)
        planned.push(entry)
      })
      await writer.write(planned)
      progress.planned = counts.planned
      options.onProgress?.(progress)
    }
    progress.phase = 'plan'
    options.onProgress?.(progress)
    basis ??= basisOf()
    fence ??= createFence(basis.time, options)
    counts.candidates = run.stats.candidates.count
    // a reference passed on in both spellings is one row read, and at most one of them names an object
    const bothSpellings = resolution?.bothSpellings ?? 0
    counts.references = run.stats.references.count - bothSpellings
    if (resolution !== undefined) {
      resolution.finish()
      counts.foreignReferences = resolution.foreignReferences
      if (bothSpellings > 0) counts.bothSpellings = bothSpellings
      if (resolution.mode !== 'delete') counts.conflicts = resolution.conflicts
    }
    const unlisted = [listed, ...references].flatMap(source => source.unlisted === undefined || source.unlisted.count === 0
      ? []
      : [{ source: source.name, count: source.unlisted.count, examples: [...source.unlisted.examples] }])
    counts.unlisted = unlisted.reduce((sum, entry) => sum + entry.count, 0)
    const store = storeOf(options.store, candidates.name)
    // The orphan share is judged on what the fence lets through, before minOrphanAge holds keys
    // back: a run with wrong references must be refused (and record nothing), not record the
    // whole store as orphans.
    const measured = { candidates: counts.candidates, references: counts.references, orphans: counts.orphans, missing: run.stats.missing === undefined ? undefined : Math.max(0, run.stats.missing.count - bothSpellings), planned: counts.planned + (counts.tooRecentlyOrphaned ?? 0) }
    if (measured.missing !== undefined) counts.missing = measured.missing
    const guards = guardRecord(limits, measured)
    checkGuards(guards, measured, { store: store ?? candidates.name, references: references.map(source => source.name) })
    // The plan stands: only now may this run's orphans become the ledger's state. A run that
    // failed or was refused aborts it below, since with partial references it would record
    // live keys as orphans.
    await ledger?.commit()
    const draft: PlanHeaderDraft = {
      keydiff: 'plan',
      version: PLAN_VERSION,
      createdAt: new Date().toISOString(),
      store,
      candidates: candidates.name,
      references: references.map(source => source.name),
      mode: run.stats.mode,
      referenceScanStartedAt: basis.time.toISOString(),
      fenceBasis: { time: basis.time.toISOString(), source: basis.source, basis: basis.basis },
      graceMs: fence.graceMs,
      fence: fence.time.toISOString(),
      includeUndated: fence.includeUndated,
      protect: [...(options.protect ?? [])],
      protectHidden,
      exclude: [...(options.exclude ?? [])],
      ...(ledger === undefined ? {} : { orphanAge: { minAgeMs: ledger.minAgeMs, previousRuns: ledger.previous?.runs ?? 0, previousRunAt: ledger.previous?.runAt.toISOString() ?? null } }),
      guards,
      unlisted,
      counts,
      bytes,
      body: writer.digest()
    }
    const header = await writer.finish(draft)
    return { path: writer.path, header, prefixes: totals.list(), diff: run.stats }
  } catch (error) {
    await writer.abort()
    // Does nothing once committed; a failure to remove the run's generation leaves debris
    // that the next open removes, and must not hide the error that failed the plan.
    await ledger?.abort().catch(() => {})
    throw noSpaceAt(error, 'the plan', writer.path)
  }
}

/** The plan's store: as given, else the location its candidates name themselves by (`dir:/root`, `s3://bucket/prefix`, `gs://`, `minio://`). */
function storeOf (store: string | undefined, candidates: string): string | null {
  if (store !== undefined) return formatStoreLocation(parseStoreLocation(store))
  // the adapters' listings name themselves by their location; any other name binds nothing
  if (/^(dir:\/|s3:\/\/|gs:\/\/|minio:\/\/)/.test(candidates)) return formatStoreLocation(parseStoreLocation(candidates, 'candidates'))
  return null
}
