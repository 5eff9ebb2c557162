import { createHash } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compareKeys, PlanError, type PlanCounts, type PlanGuardRecord, type PlanHeader, type PrefixTotal } from '@keydiff/core'
import { checkGuards, guardRecord, planGuardLimits, type KeyRange, type PlanGuardOptions } from '@keydiff/core/adapter'
import { fileDigest } from './file-digest.ts'
import { formatRange } from './key-ranges.ts'
import type { PartDescriptor } from './part-descriptor.ts'

export const MANIFEST_VERSION = 1 as const

/**
 * The plan of a distributed run: every part, with its checksum, and the merged counts the
 * guards judged. A run's plan is this file; its parts are plans of their own ranges.
 */
export interface RunManifest {
  keydiff: 'distributed-plan'
  version: typeof MANIFEST_VERSION
  run: string
  createdAt: string
  store: string | null
  /** ISO time every shard's fence counted back from. */
  referencesAsOf: string
  /** The guards, judged once on the merged counts (the missing share on the parts that counted it: not those split while they ran). */
  guards: PlanGuardRecord
  counts: PlanCounts
  bytes: PlanHeader['bytes']
  prefixes: PrefixTotal[]
  /** One per shard, in key order; together they cover the whole key space. */
  parts: PartDescriptor[]
  /** SHA-256 (hex) of the manifest's JSON without this field. */
  checksum: string
}

// The counts a part takes from its references rather than its candidates.
const REFERENCE_COUNTS: ReadonlySet<string> = new Set(['references', 'foreignReferences', 'bothSpellings'])

/**
 * Sums of the parts' counts, bytes and per-prefix totals. A part split while it ran counted
 * the references of its shard's whole range (`referencesCounted`), and the parts after its
 * end count theirs again: the references' counts of a part whose range another part's
 * `referencesCounted` holds are left out, so that each reference counts once, as in one process.
 */
export function mergeParts (parts: readonly PartDescriptor[]): Pick<RunManifest, 'counts' | 'bytes' | 'prefixes'> {
  const counts: Record<string, number> = {}
  const bytes: Record<string, number> = {}
  const prefixes = new Map<string, PrefixTotal>()
  const wider = parts.filter(part => part.referencesCounted !== undefined)
  for (const part of parts) {
    const own = part.referencesCounted ?? part.range
    const countedElsewhere = wider.some(other => other !== part && holds(other.referencesCounted as KeyRange, own))
    for (const [name, value] of Object.entries(part.counts)) {
      if (typeof value === 'number' && !(countedElsewhere && REFERENCE_COUNTS.has(name))) counts[name] = (counts[name] ?? 0) + value
    }
    for (const [name, value] of Object.entries(part.bytesPlanned)) if (typeof value === 'number') bytes[name] = (bytes[name] ?? 0) + value
    for (const total of part.prefixes) {
      const merged = prefixes.get(total.prefix)
      if (merged === undefined) prefixes.set(total.prefix, { ...total })
      else {
        merged.count += total.count
        merged.bytes += total.bytes
      }
    }
  }
  return {
    counts: counts as unknown as PlanCounts,
    bytes: bytes as unknown as PlanHeader['bytes'],
    prefixes: [...prefixes.values()].sort((a, b) => compareKeys(a.prefix, b.prefix))
  }
}

export interface ManifestInit {
  run: string
  referencesAsOf: string
  guards: PlanGuardOptions
  parts: readonly PartDescriptor[]
  /** Names the references in a refusal. */
  references?: readonly string[]
}

/**
 * The manifest of a run whose shards all finished: the parts must name one store and one
 * fence, their counts are merged and the guards judge the merged counts once (a refusal is
 * core's PlanRefusedError, and no manifest is made).
 */
export function buildManifest (init: ManifestInit): RunManifest {
  // in key order, numbered again: a shard split while it ran gave several parts
  const parts = [...init.parts].sort((a, b) => a.range.after === undefined ? -1 : b.range.after === undefined ? 1 : compareKeys(a.range.after, b.range.after)).map((part, shard) => ({ ...part, shard }))
  const first = parts[0]
  if (first === undefined) throw new TypeError('buildManifest: a run has at least one part')
  for (const part of parts) {
    if (part.store !== first.store) throw new PlanError(part.path, `its store ${String(part.store)} is not the run's (${String(first.store)}): shards of one run opened different stores`, { code: 'KEYDIFF_PLAN_INVALID' })
    if (part.fence !== first.fence) throw new PlanError(part.path, `its fence ${part.fence} is not the run's (${first.fence})`, { code: 'KEYDIFF_PLAN_INVALID' })
  }
  checkCoverage(parts.map(part => part.range), `the parts of run ${init.run}`)
  const merged = mergeParts(parts)
  const limits = planGuardLimits(init.guards)
  const where = { store: first.store ?? 'the store', references: init.references ?? ['the references'] }
  const measured = { candidates: merged.counts.candidates, references: merged.counts.references, orphans: merged.counts.orphans, missing: undefined, planned: merged.counts.planned }
  // The missing share is judged on the parts that counted their missing references (exact
  // mode; a part split while it ran read references past its end and has no count): each
  // such reference is counted by the one shard its key falls in.
  const counted = parts.filter(part => part.counts.missing !== undefined)
  const sampled = mergeParts(counted).counts
  const sample = counted.length === 0 ? undefined : { candidates: sampled.candidates, references: sampled.references, orphans: sampled.orphans, missing: sampled.missing ?? 0, planned: 0 }
  const guards = { ...guardRecord(limits, measured), missingShare: sample === undefined ? null : guardRecord(limits, sample).missingShare }
  checkGuards({ ...guards, missingShare: null, orphanShare: null }, measured, where)
  if (sample !== undefined) checkGuards({ ...guards, allowEmptyReferences: true, orphanShare: null }, sample, where)
  checkGuards({ ...guards, missingShare: null }, measured, where)
  const draft: Omit<RunManifest, 'checksum'> = {
    keydiff: 'distributed-plan',
    version: MANIFEST_VERSION,
    run: init.run,
    createdAt: new Date().toISOString(),
    store: first.store,
    referencesAsOf: init.referencesAsOf,
    guards,
    ...merged,
    parts
  }
  return { ...draft, checksum: manifestChecksum(draft) }
}

/** Whether every key of `inner` lies in `outer`. */
function holds (outer: KeyRange, inner: KeyRange): boolean {
  const from = outer.after === undefined || (inner.after !== undefined && compareKeys(outer.after, inner.after) <= 0)
  const to = outer.upTo === undefined || (inner.upTo !== undefined && compareKeys(inner.upTo, outer.upTo) <= 0)
  return from && to
}

/** Ranges in key order that cover the key space, each starting where the one before ended. */
function checkCoverage (ranges: readonly KeyRange[], what: string): void {
  let after: string | undefined
  for (const [i, range] of ranges.entries()) {
    if (range.after !== after || (i === ranges.length - 1) !== (range.upTo === undefined)) {
      throw new PlanError(what, `the parts do not cover the key space in order at part ${i} ${formatRange(range)}`, { code: 'KEYDIFF_PLAN_INVALID' })
    }
    after = range.upTo
  }
}

/**
 * The ranges of the key space that no part covers, in key order. A gap is cut where a part's
 * `referencesCounted` ends inside it, so that the part planned for each piece lies within
 * such a range or outside it, and mergeParts counts its references once.
 */
export function missingRanges (parts: readonly Pick<PartDescriptor, 'range' | 'referencesCounted'>[]): KeyRange[] {
  const sorted = parts.map(part => part.range).sort((a, b) => a.after === undefined ? -1 : b.after === undefined ? 1 : compareKeys(a.after, b.after))
  const cuts = [...new Set(parts.flatMap(part => part.referencesCounted?.upTo ?? []))].sort(compareKeys)
  const missing: KeyRange[] = []
  const gap = (after: string | undefined, upTo: string | undefined): void => {
    let from = after
    for (const cut of cuts) {
      if ((from === undefined || compareKeys(from, cut) < 0) && (upTo === undefined || compareKeys(cut, upTo) < 0)) {
        missing.push({ ...(from === undefined ? {} : { after: from }), upTo: cut })
        from = cut
      }
    }
    missing.push({ ...(from === undefined ? {} : { after: from }), ...(upTo === undefined ? {} : { upTo }) })
  }
  let cursor: string | undefined
  for (const range of sorted) {
    if (range.after !== cursor) gap(cursor, range.after)
    cursor = range.upTo
    if (cursor === undefined) return missing
  }
  gap(cursor, undefined)
  return missing
}

function manifestChecksum (manifest: Omit<RunManifest, 'checksum'>): string {
  return createHash('sha256').update(JSON.stringify(manifest)).digest('hex')
}

/** Writes the manifest beside its parts (`<shared>/<run>/manifest.json`), atomically; returns its path. */
export async function writeManifest (shared: string, manifest: RunManifest): Promise<string> {
  const path = join(shared, manifest.run, 'manifest.json')
  const staging = `${path}.${process.pid}.tmp`
  await writeFile(staging, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o644 })
  await rename(staging, path)
  return path
}

/**
 * Reads a manifest and checks it as a plan is checked: its own checksum, that the parts cover
 * the key space without a gap, then every part's size and SHA-256. An edited manifest or part
 * is refused (KEYDIFF_PLAN_CHECKSUM). `parts: false` leaves the parts to whoever reads them
 * (each apply job checks its own), sparing one machine a read of every part.
 */
export async function readManifest (path: string, shared: string, options: { parts?: boolean } = {}): Promise<RunManifest> {
  let manifest: RunManifest
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as RunManifest
  } catch (error) {
    throw new PlanError(path, `is not a readable manifest: ${(error as Error).message}`, { cause: error })
  }
  if (manifest?.keydiff !== 'distributed-plan' || manifest.version !== MANIFEST_VERSION || !Array.isArray(manifest.parts)) {
    throw new PlanError(path, 'is not a keydiff distributed-plan manifest of this version')
  }
  const { checksum, ...draft } = manifest
  if (manifestChecksum(draft) !== checksum) throw new PlanError(path, 'does not match its checksum: the manifest was edited; plan the run again', { code: 'KEYDIFF_PLAN_CHECKSUM' })
  checkCoverage(manifest.parts.map(part => part.range), path)
  if (options.parts === false) return manifest
  for (const part of manifest.parts) {
    const file = join(shared, part.path)
    const found = await fileDigest(file).catch((error: unknown) => { throw new PlanError(file, `cannot be read: ${(error as Error).message}`, { cause: error }) })
    if (found.sha256 !== part.sha256 || found.bytes !== part.bytes) {
      throw new PlanError(file, `does not match the manifest's checksum (${found.bytes} of ${part.bytes} bytes): the part was edited or truncated; plan the run again`, { code: 'KEYDIFF_PLAN_CHECKSUM' })
    }
  }
  return manifest
}
