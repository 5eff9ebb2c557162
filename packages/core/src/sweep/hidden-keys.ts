import { InvalidOptionError } from '../errors.ts'
import { deriveSource } from '../keys/derive-source.ts'
import type { KeySource } from '../contracts/key-source.ts'

/**
 * Hidden names, as Iceberg's `remove_orphan_files` and Delta's `VACUUM` treat them: a path
 * segment that starts with `.` or `_` (`_SUCCESS`, `_temporary/`, `.part-0.parquet.crc`,
 * `.hoodie/`) is where writers keep in-flight files and table metadata, and deleting it can
 * corrupt a running job. A folder named `_name=value` is a partition, not hidden (Spark
 * writes `col=value/`; a column whose name starts with `_` gives `_col=value/`).
 */
export function isHiddenKey (key: string): boolean {
  let start = 0
  for (;;) {
    const slash = key.indexOf('/', start)
    const last = slash === -1
    const first = key.charCodeAt(start)
    // '.' is 46, '_' is 95
    if (first === 46 || (first === 95 && (last || !isPartition(key, start, slash)))) return true
    if (last) return false
    start = slash + 1
  }
}

/** `_name=value` between `start` and `end`: a name after the `_`, then `=`. */
function isPartition (key: string, start: number, end: number): boolean {
  const equals = key.indexOf('=', start)
  return equals > start + 1 && equals < end
}

/** The lock objects keydiff 0.1 kept at a bucket's root, which a run may still find there. */
const LEGACY_LOCK_KEYS = new Set(['.keydiff.lock', 'keydiff.lock'])
const LEGACY_LOCK_KEY_LENGTH = '.keydiff.lock'.length

/** Whether a key lies in keydiff's own work area: any `.keydiff` segment (locks, plans, trash), or an older lock object. */
export function isKeydiffKey (key: string): boolean {
  // a length test first: this runs once per listed key
  if (key.length <= LEGACY_LOCK_KEY_LENGTH && LEGACY_LOCK_KEYS.has(key)) return true
  if (!key.includes('.keydiff')) return false
  return key.split('/').includes('.keydiff')
}

/**
 * A matcher for keys that are never candidates: keydiff's own `.keydiff` segments, and keys
 * that start with one of `prefixes` (a quarantine prefix or directory inside the store).
 */
export function excludedMatcher (prefixes: readonly string[]): (key: string) => boolean {
  if (!Array.isArray(prefixes) || prefixes.some(prefix => typeof prefix !== 'string')) throw new TypeError('exclude: prefixes must be strings')
  if (prefixes.includes('')) throw new InvalidOptionError('exclude', 'an empty prefix would exclude every key')
  if (prefixes.length === 0) return isKeydiffKey
  return key => isKeydiffKey(key) || prefixes.some(prefix => key.startsWith(prefix))
}

/** The source without the keys `isExcluded` names, counting them as they pass. */
export function withoutExcluded (source: KeySource, isExcluded: (key: string) => boolean, onExcluded: (count: number) => void): KeySource {
  return deriveSource(source, async function * () {
    for await (const batch of source) {
      const kept = batch.filter(entry => !isExcluded(entry.key))
      if (kept.length < batch.length) onExcluded(batch.length - kept.length)
      if (kept.length > 0) yield kept
    }
  })
}
