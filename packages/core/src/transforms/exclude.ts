import { createRequire } from 'node:module'
import type picomatch from 'picomatch'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { deriveSource } from '../keys/derive-source.ts'

/**
 * Builds a matcher for protected patterns: globs (`**\/*.lock`, `manifests/**`) matched
 * against the whole key, dot files included.
 */
export function protectedMatcher (patterns: readonly string[]): (key: string) => boolean {
  if (!Array.isArray(patterns) || patterns.some(p => typeof p !== 'string' || p.length === 0)) throw new TypeError('protected patterns must be non-empty strings')
  if (patterns.length === 0) return () => false
  return loadPicomatch()(patterns as string[], { dot: true })
}

/** Drops every key that matches one of the protected patterns. Order is kept. */
export function exclude (patterns: readonly string[]): (source: KeySourceLike) => KeySource {
  const isProtected = protectedMatcher(patterns)
  return (input) => {
    const source = toKeySource(input)
    return deriveSource(source, async function * () {
      for await (const batch of source) {
        const out = batch.filter(entry => !isProtected(entry.key))
        if (out.length > 0) yield out
      }
    })
  }
}

// Required when first used, not imported: a diff without protected patterns then skips its
// 14 ms of start-up. picomatch is CommonJS, so `require` keeps this function synchronous.
function loadPicomatch (): typeof picomatch {
  return createRequire(import.meta.url)('picomatch') as typeof picomatch
}
