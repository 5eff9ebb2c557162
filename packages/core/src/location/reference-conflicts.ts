import { InvalidOptionError } from '../errors.ts'
import type { KeySource } from '../contracts/key-source.ts'
import type { KeyRange } from '../contracts/store-driver.ts'
import { PrefixMismatchError, type ConflictExample } from './reference-errors.ts'
import type { ReferenceDecoding } from './resolve-reference.ts'
import { resolveReferences, type ResolvedReferenceSource } from './resolve-references.ts'
import { formatStoreLocation, parseStoreLocation, type LocationEquivalences } from './store-location.ts'

/**
 * What a plan does with an orphan whose key a reference to another store names (its path
 * under another scheme or authority): `'error'` fails the plan, `'ignore'` keeps the object,
 * `'delete'` plans it as unreferenced. Iceberg's `prefix_mismatch_mode`.
 */
export type PrefixMismatchMode = 'error' | 'ignore' | 'delete'

export interface ReferenceConflictsOptions extends LocationEquivalences {
  /** The store's location. Required. */
  store: string
  /** @default 'error' */
  prefixMismatch?: PrefixMismatchMode
  /** One decoding for every source, or one per source in order. @default 'auto' */
  decodeReferences?: ReferenceDecoding | readonly ReferenceDecoding[]
  /** @default 1000000 */
  maxConflictKeys?: number
  /** The range a plan's candidates are cut to: only the references whose text lies in it are counted (resolveReferences' countedRange). */
  range?: KeyRange
}

const MODES: readonly string[] = ['error', 'ignore', 'delete']

/**
 * The plan's side of resolution: resolves every reference source against the store, then
 * judges each orphan against the keys that references to other stores name. All references
 * are read before the first orphan is judged: resolved sources do not count as sorted, so
 * the diff reads them into its set before it reads candidates.
 */
export class ReferenceConflicts {
  readonly mode: PrefixMismatchMode
  readonly store: string
  /** The reference sources as store keys, for the diff. */
  readonly sources: ResolvedReferenceSource[]
  /** Orphans whose key a reference to another store names. */
  conflicts = 0
  readonly examples: ConflictExample[] = []

  constructor (references: readonly KeySource[], options: ReferenceConflictsOptions) {
    const mode = options.prefixMismatch ?? 'error'
    if (!MODES.includes(mode)) throw new InvalidOptionError('prefixMismatch', `${JSON.stringify(mode)} is not 'error', 'ignore' or 'delete'`)
    this.mode = mode
    const equivalences = { equalSchemes: checkedMap(options.equalSchemes, 'equalSchemes'), equalAuthorities: checkedMap(options.equalAuthorities, 'equalAuthorities') }
    const location = parseStoreLocation(options.store, 'store', equivalences)
    this.store = formatStoreLocation(location)
    const decode = options.decodeReferences ?? 'auto'
    if (Array.isArray(decode) && decode.length !== references.length) {
      throw new InvalidOptionError('decodeReferences', `gives ${decode.length} decodings for ${references.length} reference sources; give one for all or one per source`)
    }
    for (const each of Array.isArray(decode) ? decode : [decode]) {
      if (each !== 'uri' && each !== 'auto') throw new InvalidOptionError('decodeReferences', `${JSON.stringify(each)} is not 'uri' or 'auto'`)
    }
    this.sources = references.map((source, i) => resolveReferences({
      ...equivalences,
      store: location,
      decode: Array.isArray(decode) ? decode[i] : decode as ReferenceDecoding,
      keepConflictKeys: mode !== 'delete',
      maxConflictKeys: options.maxConflictKeys,
      countedRange: options.range
    })(source))
  }

  /**
   * Whether an orphan must stay out of the plan because a reference to another store names
   * its key; counts it. In `'delete'` mode no keys were kept and nothing is held back.
   */
  holds (key: string): boolean {
    if (this.mode === 'delete') return false
    for (const source of this.sources) {
      const reference = source.resolution.conflictKeys.get(key)
      if (reference === undefined) continue
      this.conflicts++
      if (this.examples.length < 5) this.examples.push({ key, reference })
      return true
    }
    return false
  }

  /** Bare references passed on in both spellings (as written and percent-decoded), over all sources. */
  get bothSpellings (): number {
    return this.sources.reduce((sum, source) => sum + source.resolution.bothSpellings, 0)
  }

  /** References that name other stores, over all sources. */
  get foreignReferences (): number {
    return this.sources.reduce((sum, source) => sum + source.resolution.foreign, 0)
  }

  /** In `'error'` mode, fails when any orphan was held back. */
  finish (): void {
    if (this.mode !== 'error' || this.conflicts === 0) return
    const examples = this.examples.map(example => `${JSON.stringify(example.key)} (referenced as ${JSON.stringify(example.reference)})`).join(', ')
    throw new PrefixMismatchError(
      `${this.conflicts} unreferenced object${this.conflicts === 1 ? '' : 's'} of ${this.store} ${this.conflicts === 1 ? 'is' : 'are'} named by references to another scheme or authority (${this.foreignReferences} references name other stores in all), so whether ${this.conflicts === 1 ? 'it is' : 'they are'} live cannot be told: ${examples}. ` +
      'If the other scheme or authority is this store under another name, declare it with equalSchemes or equalAuthorities; to keep such objects set prefixMismatch = "ignore"; to treat them as unreferenced, prefixMismatch = "delete"',
      this.conflicts,
      this.examples
    )
  }
}

function checkedMap (value: unknown, option: string): Readonly<Record<string, string>> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value) || !Object.values(value).every(target => typeof target === 'string')) {
    throw new InvalidOptionError(option, 'must map names to names, e.g. { s3a: "s3" }')
  }
  return value as Readonly<Record<string, string>>
}
