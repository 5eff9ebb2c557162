import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { InvalidOptionError } from '../errors.ts'

/**
 * Where a store lives: `s3://bucket/prefix`, `gs://bucket/prefix`, `file:///abs/root`,
 * `mongodb://host/db`. A plan binds one; a sink acts on one; references are resolved
 * against one. Schemes are lower case and canonical (`s3a` is `s3`, `gcs` is `gs`).
 */
export interface StoreLocation {
  /** Canonical scheme: `s3`, `gs`, `file`, `minio`, `mongodb`, ... */
  readonly scheme: string
  /** Bucket or host; '' for `file`. */
  readonly authority: string
  /**
   * For `file`, the absolute root directory (no trailing `/`). For object stores, the key
   * prefix exactly as written (opaque: `a//b` stays), '' for the whole bucket.
   */
  readonly path: string
}

/** Schemes that name the same kind of store, each mapped to its canonical name. */
export const DEFAULT_EQUAL_SCHEMES: Readonly<Record<string, string>> = Object.freeze({
  s3a: 's3',
  s3n: 's3',
  gcs: 'gs',
  dir: 'file'
})

export interface LocationEquivalences {
  /** Extra scheme equivalences, alias → canonical (`{ minio: 's3' }`); added to the defaults. @default {} */
  equalSchemes?: Readonly<Record<string, string>>
  /** Authorities that name the same store, alias → canonical (`{ 'bucket.s3.amazonaws.com': 'bucket' }`). @default {} */
  equalAuthorities?: Readonly<Record<string, string>>
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/

/** The canonical name of a scheme under the defaults and the given equivalences. */
export function canonicalScheme (scheme: string, equivalences: LocationEquivalences = {}): string {
  let name = scheme.toLowerCase()
  // follow chains (s3n → s3a → s3) without looping on a cycle
  for (let i = 0; i < 8; i++) {
    const next = equivalences.equalSchemes?.[name] ?? DEFAULT_EQUAL_SCHEMES[name]
    if (next === undefined || next.toLowerCase() === name) break
    name = next.toLowerCase()
  }
  return name
}

/** The canonical name of an authority under the given equivalences. */
export function canonicalAuthority (authority: string, equivalences: LocationEquivalences = {}): string {
  return equivalences.equalAuthorities?.[authority] ?? authority
}

/**
 * Parses a store location. Accepts `scheme://authority/path`, `file:///abs`, an absolute
 * file-system path, and the older `dir:/abs` names. Throws InvalidOptionError naming
 * `option` for anything else (a relative path is resolved against the working directory
 * only when `relativeFiles` is set).
 */
export function parseStoreLocation (text: string, option = 'store', equivalences: LocationEquivalences = {}): StoreLocation {
  if (typeof text !== 'string' || text.length === 0) throw new InvalidOptionError(option, 'a store location is required (s3://bucket/prefix, gs://bucket/prefix, file:///root)')
  if (text.startsWith('/')) return { scheme: 'file', authority: '', path: trimRoot(resolve(text)) }
  const match = SCHEME.exec(text)
  if (match === null) throw new InvalidOptionError(option, `${JSON.stringify(text)} is not a store location (s3://bucket/prefix, gs://bucket/prefix, file:///root or an absolute path)`)
  const scheme = canonicalScheme(match[1] as string, equivalences)
  const rest = text.slice(match[0].length)
  if (scheme === 'file') {
    if (rest.startsWith('//')) {
      let path: string
      try {
        path = fileURLToPath(`file:${rest}`)
      } catch (error) {
        throw new InvalidOptionError(option, `${JSON.stringify(text)} is not a file URL with an absolute path`, { cause: error })
      }
      return { scheme, authority: '', path: trimRoot(resolve(path)) }
    }
    if (rest.startsWith('/')) return { scheme, authority: '', path: trimRoot(resolve(rest)) }
    throw new InvalidOptionError(option, `${JSON.stringify(text)} names no absolute directory`)
  }
  if (!rest.startsWith('//')) throw new InvalidOptionError(option, `${JSON.stringify(text)} has no //authority (e.g. ${scheme}://bucket/prefix)`)
  const slash = rest.indexOf('/', 2)
  const authority = canonicalAuthority(slash === -1 ? rest.slice(2) : rest.slice(2, slash), equivalences)
  if (authority.length === 0) throw new InvalidOptionError(option, `${JSON.stringify(text)} names no bucket or host`)
  return { scheme, authority, path: slash === -1 ? '' : rest.slice(slash + 1) }
}

/** The location as text: `s3://bucket/prefix`, `file:///root`. */
export function formatStoreLocation (location: StoreLocation): string {
  if (location.scheme === 'file') return `file://${location.path}`
  return `${location.scheme}://${location.authority}/${location.path}`
}

/** Whether two locations name the same store and the same root or prefix. */
export function sameStore (a: StoreLocation, b: StoreLocation): boolean {
  return a.scheme === b.scheme && a.authority === b.authority && a.path === b.path
}

/**
 * Whether a sink acting on `outer` may act on the keys of a plan made for `inner`: the same
 * store, and for a directory the same root (keys are relative to it); for an object store
 * the plan's prefix lies within the sink's (keys are whole object names).
 */
export function storeContains (outer: StoreLocation, inner: StoreLocation): boolean {
  if (outer.scheme !== inner.scheme || outer.authority !== inner.authority) return false
  if (outer.scheme === 'file') return outer.path === inner.path
  return inner.path.startsWith(outer.path)
}

function trimRoot (path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
}
