import { InvalidOptionError } from '../errors.ts'
import { InvalidReferenceError } from './reference-errors.ts'
import { canonicalAuthority, canonicalScheme, parseStoreLocation, type LocationEquivalences, type StoreLocation } from './store-location.ts'

/**
 * Whether references without a scheme are percent-decoded: `'uri'` decodes every
 * reference (Delta's log writes relative paths as `abc%20def/%231/file1.txt`); `'auto'`
 * decodes only URIs (`s3://…`, `file://…`) and takes a bare key as written (resolveReferences
 * then passes on its decoded spelling too, when it has one).
 */
export type ReferenceDecoding = 'uri' | 'auto'

export interface ReferenceResolverOptions extends LocationEquivalences {
  /** Percent-decode references without a scheme too. @default 'auto' */
  decode?: ReferenceDecoding
}

/**
 * What one reference names. `key`: an object of this store, by its store key (the whole
 * object key for an object store, the path relative to the root for a directory). `foreign`:
 * something in another store (a scheme or authority that is not equivalent, or a file path
 * outside the root); `conflictKeys` are the keys of this store it could be mistaken for (its
 * path under this store's, and its text taken as a key), which a plan must not treat as
 * unreferenced without being told.
 */
export type ResolvedReference =
  | { readonly kind: 'key', readonly key: string }
  | { readonly kind: 'foreign', readonly store: string, readonly conflictKeys: readonly string[] }

/**
 * A function resolving references against one store: built once, applied per key. A URI's
 * scheme and authority are compared under the equivalences (`s3a`/`s3n` = `s3`, `gcs` = `gs`
 * by default; no authority matches the store's) and its path is percent-decoded; an absolute
 * path is a `file:` URI; anything else is a key as written. For a directory store keys are
 * normalised (`//` and `.` segments collapse, `..` is refused); object-store keys stay opaque
 * (`a//b` is its own key).
 * The rest of a URI after its authority is all path: `?` and `#` are characters of keys.
 * Throws InvalidReferenceError for a reference it cannot resolve.
 */
export function referenceResolver (store: string | StoreLocation, options: ReferenceResolverOptions = {}): (reference: string) => ResolvedReference {
  const decode = options.decode ?? 'auto'
  if (decode !== 'uri' && decode !== 'auto') throw new InvalidOptionError('decode', `${JSON.stringify(decode)} is not 'uri' or 'auto'`)
  const location = typeof store === 'string' ? parseStoreLocation(store, 'store', options) : store
  const authority = canonicalAuthority(location.authority, options).toLowerCase()
  const decodeKeys = decode === 'uri'
  const schemeOf = cached(text => canonicalScheme(text, options))
  const authorityOf = cached(text => canonicalAuthority(text, options).toLowerCase())

  if (location.scheme === 'file') {
    const root = fileSegments(location.path, location.path, false)
    const underRoot = (segments: readonly string[]): string | undefined => {
      if (segments.length < root.length) return undefined
      for (let i = 0; i < root.length; i++) if (segments[i] !== root[i]) return undefined
      return segments.slice(root.length).join('/')
    }
    // A bare key may name a file here by its text (a directory named `s3:`): such keys are conflicts too.
    const literal = (reference: string): string[] => {
      if (reference.startsWith('/')) return []
      const text = decodeKeys ? tryDecode(reference) : reference
      return text === undefined ? [] : [fileSegments(text, reference, false).join('/')]
    }
    return (reference) => {
      const uri = splitUri(reference)
      if (uri === undefined && !reference.startsWith('/')) {
        const text = decodeKeys ? percentDecode(reference) : reference
        return { kind: 'key', key: plainFileKey(text, reference) }
      }
      const scheme = uri === undefined ? 'file' : schemeOf(uri.scheme)
      const host = uri === undefined ? '' : fileHost(authorityOf(uri.authority))
      const path = uri === undefined ? (decodeKeys ? percentDecode(reference) : reference) : percentDecode(uri.path, reference)
      if (scheme === 'file' && host === authority) {
        const key = underRoot(fileSegments(path, reference, true))
        if (key !== undefined) return { kind: 'key', key }
        return { kind: 'foreign', store: 'file://', conflictKeys: [] }
      }
      // Another store: its path, laid over this root, may name a file here (Iceberg's conflict).
      const wouldBe = underRoot(fileSegments(path, reference, false))
      const conflictKeys = uri === undefined ? [] : literal(reference)
      if (wouldBe !== undefined && wouldBe !== conflictKeys[0]) conflictKeys.push(wouldBe)
      return { kind: 'foreign', store: `${scheme}://${host}`, conflictKeys }
    }
  }

  const prefix = location.path
  return (reference) => {
    const uri = splitUri(reference)
    if (uri === undefined && !reference.startsWith('/')) return { kind: 'key', key: decodeKeys ? percentDecode(reference) : reference }
    const scheme = uri === undefined ? 'file' : schemeOf(uri.scheme)
    const host = uri === undefined ? '' : authorityOf(uri.authority)
    const path = uri === undefined ? (decodeKeys ? percentDecode(reference) : reference) : percentDecode(uri.path, reference)
    // the path after the authority is the whole object key, kept as written (`//a` is `/a`)
    const key = path.startsWith('/') ? path.slice(1) : path
    // A URI of this scheme without an authority (`hdfs:///d/k`, `s3:/d/k`) names no other
    // store: as in Iceberg, whose `uriComponentMatch` takes a reference's missing authority as
    // any, it names this store's key, which is then kept (and no conflict fails the plan).
    if (scheme === location.scheme && (host === authority || host === '')) return { kind: 'key', key }
    const conflictKeys: string[] = []
    // An object key may itself look like a URI or a path (a cache keyed by URL): taken as written, it is a conflict too.
    const text = decodeKeys ? tryDecode(reference) : reference
    if (text !== undefined && text.startsWith(prefix)) conflictKeys.push(text)
    if (key.startsWith(prefix) && key !== text) conflictKeys.push(key)
    return { kind: 'foreign', store: `${scheme}://${host}`, conflictKeys }
  }
}

/** Resolves one reference against a store; see referenceResolver, which is the way to resolve many. */
export function resolveReference (reference: string, store: string | StoreLocation, options: ReferenceResolverOptions = {}): ResolvedReference {
  return referenceResolver(store, options)(reference)
}

interface UriParts { scheme: string, authority: string, path: string }

/** `scheme:/…` (`s3://b/k`, `file:///r/k`, `file:/r/k`) split by index, for it runs once per reference. */
function splitUri (reference: string): UriParts | undefined {
  const colon = reference.indexOf(':/')
  if (colon < 1 || !isAlpha(reference.charCodeAt(0))) return undefined
  for (let i = 1; i < colon; i++) {
    const c = reference.charCodeAt(i)
    // letters, digits, + - . (RFC 3986)
    if (!isAlpha(c) && !(c >= 48 && c <= 57) && c !== 43 && c !== 45 && c !== 46) return undefined
  }
  const scheme = reference.slice(0, colon)
  if (reference.charCodeAt(colon + 2) !== 47) return { scheme, authority: '', path: reference.slice(colon + 1) }
  const slash = reference.indexOf('/', colon + 3)
  return slash === -1
    ? { scheme, authority: reference.slice(colon + 3), path: '' }
    : { scheme, authority: reference.slice(colon + 3, slash), path: reference.slice(slash) }
}

function isAlpha (c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122)
}

/** A function remembering its answers for the few distinct schemes and authorities references use. */
function cached (compute: (text: string) => string): (text: string) => string {
  const known = new Map<string, string>()
  return (text) => {
    let value = known.get(text)
    if (value === undefined) {
      value = compute(text)
      // references naming a new host each would grow it without bound
      if (known.size < 256) known.set(text, value)
    }
    return value
  }
}

/** `file://localhost/x` is `file:///x`. */
function fileHost (host: string): string {
  return host === 'localhost' ? '' : host
}

function percentDecode (text: string, reference = text): string {
  if (!text.includes('%')) return text
  try {
    return decodeURIComponent(text)
  } catch (error) {
    throw new InvalidReferenceError(reference, 'is not valid percent-encoding (a % not followed by two hex digits, or bytes that are not UTF-8)', undefined, { cause: error })
  }
}

function tryDecode (text: string): string | undefined {
  try {
    return percentDecode(text)
  } catch {
    return undefined
  }
}

/** A bare key of a directory store: `//` and `.` segments collapse, `..` is refused. */
function plainFileKey (text: string, reference: string): string {
  // most keys are already plain: keep their string
  if (!text.includes('//') && !text.endsWith('/') && !text.startsWith('./') && !text.includes('/.') && text !== '.' && !text.startsWith('..')) return text
  return fileSegments(text, reference, true).join('/')
}

/**
 * The segments of a file-system path, `''` and `.` left out. A `..` segment throws when
 * `strict` (a reference of this store must not climb); otherwise it climbs, as the path of
 * another store would (the widest reading finds the most conflicts).
 */
function fileSegments (path: string, reference: string, strict: boolean): string[] {
  const out: string[] = []
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue
    if (segment === '..') {
      if (strict) throw new InvalidReferenceError(reference, 'has a ".." segment: a path that climbs could name any file, inside the store root or out, so it is refused; write the path without ".."')
      out.pop()
      continue
    }
    out.push(segment)
  }
  return out
}
