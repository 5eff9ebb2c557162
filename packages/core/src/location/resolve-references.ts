import { InvalidOptionError } from '../errors.ts'
import { deriveSource } from '../keys/derive-source.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import type { KeyRange } from '../contracts/store-driver.ts'
import { inKeyRange } from '../store/within-range.ts'
import { InvalidReferenceError, PrefixMismatchError } from './reference-errors.ts'
import { referenceResolver, type ReferenceResolverOptions } from './resolve-reference.ts'
import { formatStoreLocation, parseStoreLocation, type StoreLocation } from './store-location.ts'

/** Potential-conflict keys one reference source may hold in memory. */
export const DEFAULT_MAX_CONFLICT_KEYS = 1_000_000

export interface ResolveReferencesOptions extends ReferenceResolverOptions {
  /** The store the references are resolved against (`s3://bucket/prefix`, `file:///root`). Required. */
  store: string | StoreLocation
  /**
   * Keep the keys of this store that references to other stores name (a plan needs them to
   * find conflicts; with `prefixMismatch = 'delete'` it does not, and nothing is kept).
   * @default true
   */
  keepConflictKeys?: boolean
  /**
   * How many such keys one source may keep; past it the source fails with
   * KEYDIFF_PREFIX_MISMATCH rather than grow without bound. @default 1000000
   */
  maxConflictKeys?: number
  /**
   * Count only the references whose text lies in this range (all are still resolved and
   * passed on, and their conflict keys kept): the shards of one run, each resolving every
   * reference that may name a key of its range, then count each reference once, in the
   * shard its text falls in. @default the whole key space
   */
  countedRange?: KeyRange
}

/** What resolving a source found; complete once the source has been read to its end. */
export interface ReferenceResolution {
  /** The store, as a location. */
  readonly store: string
  /** References that name a key of this store (passed on). */
  resolved: number
  /** References that name another store (not passed on, and counted here). */
  foreign: number
  /** Foreign references that name a key under this store: potential conflicts. */
  conflicting: number
  /**
   * Bare keys holding a percent escape (`abc%20def`) passed on in both spellings, as written
   * and decoded, under `decode: 'auto'`: which one the writer meant cannot be told, and
   * keeping both only keeps more objects. Each adds a reference that names no object.
   */
  bothSpellings: number
  /** Those keys, each with the first reference that named it (kept when keepConflictKeys). */
  readonly conflictKeys: Map<string, string>
  /** Up to 5 foreign references, as written, for reports. */
  readonly foreignExamples: string[]
}

/** A reference source whose keys are store keys, with what resolving it found. */
export interface ResolvedReferenceSource extends KeySource {
  readonly resolution: ReferenceResolution
}

/**
 * Resolves every reference of a source to a key of the store (see referenceResolver): keys
 * of this store pass on, references to other stores are counted and held back, and the
 * keys of this store they could be mistaken for are kept for the plan to check. Resolution
 * may change the order of keys, so the result does not count as sorted.
 */
export function resolveReferences (options: ResolveReferencesOptions): (source: KeySourceLike) => ResolvedReferenceSource {
  if (options === null || typeof options !== 'object') throw new TypeError('resolveReferences: options are required')
  const location = typeof options.store === 'string' ? parseStoreLocation(options.store, 'store', options) : options.store
  const resolve = referenceResolver(location, options)
  const resolveDecoded = (options.decode ?? 'auto') === 'auto' ? referenceResolver(location, { ...options, decode: 'uri' }) : undefined
  const keep = options.keepConflictKeys ?? true
  const cap = options.maxConflictKeys ?? DEFAULT_MAX_CONFLICT_KEYS
  if (!Number.isInteger(cap) || cap < 0) throw new InvalidOptionError('maxConflictKeys', `${String(cap)} is not a non-negative integer`)
  const store = formatStoreLocation(location)
  const counted = options.countedRange

  return (input) => {
    const source = toKeySource(input)
    const resolution: ReferenceResolution = { store, resolved: 0, foreign: 0, conflicting: 0, bothSpellings: 0, conflictKeys: new Map(), foreignExamples: [] }
    const derived = deriveSource(source, async function * () {
      resolution.resolved = resolution.foreign = resolution.conflicting = resolution.bothSpellings = 0
      resolution.conflictKeys.clear()
      resolution.foreignExamples.length = 0
      let naming = 0
      for await (const batch of source) {
        const out: KeyEntry[] = []
        for (const entry of batch) {
          const counts = counted === undefined || inKeyRange(entry.key, counted)
          let resolved
          try {
            resolved = resolve(entry.key)
          } catch (error) {
            throw error instanceof InvalidReferenceError ? error.from(source.name) : error
          }
          if (resolved.kind === 'key') {
            if (counts) resolution.resolved++
            out.push(resolved.key === entry.key ? entry : { ...entry, key: resolved.key })
            const decoded = resolveDecoded === undefined || !entry.key.includes('%') ? undefined : decodedKey(resolveDecoded, entry.key)
            if (decoded !== undefined && decoded !== resolved.key) {
              if (counts) resolution.bothSpellings++
              out.push({ ...entry, key: decoded })
            }
            continue
          }
          if (counts) {
            resolution.foreign++
            if (resolution.foreignExamples.length < 5) resolution.foreignExamples.push(entry.key)
          }
          if (resolved.conflictKeys.length === 0) continue
          naming++
          if (counts) resolution.conflicting++
          if (!keep) continue
          for (const key of resolved.conflictKeys) {
            if (resolution.conflictKeys.has(key)) continue
            if (resolution.conflictKeys.size >= cap) {
              throw new PrefixMismatchError(`${source.name}: ${naming} references so far name more than ${cap} keys of ${store} under another scheme or authority (e.g. ${JSON.stringify(entry.key)}), more than a run keeps in memory to check for conflicts; leave references to other stores out of this run's sources, or set prefixMismatch = "delete" (nothing is then kept), or declare the other scheme or authority as this store with equalSchemes or equalAuthorities`, naming, [{ key, reference: entry.key }])
            }
            resolution.conflictKeys.set(key, entry.key)
          }
        }
        if (out.length > 0) yield out
      }
    }, { sorted: false })
    return Object.defineProperties(derived, {
      resolution: { value: resolution, enumerable: true },
      scanBasis: { get: () => source.scanBasis, enumerable: true },
      unlisted: { get: () => source.unlisted, enumerable: true }
    }) as ResolvedReferenceSource
  }
}

/** The store key a bare reference names when percent-decoded, or undefined when it is a URI or does not decode. */
function decodedKey (resolve: (reference: string) => ReturnType<ReturnType<typeof referenceResolver>>, reference: string): string | undefined {
  try {
    const resolved = resolve(reference)
    return resolved.kind === 'key' ? resolved.key : undefined
  } catch {
    return undefined
  }
}
