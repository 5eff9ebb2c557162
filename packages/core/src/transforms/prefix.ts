import { KeydiffError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { deriveSource } from '../keys/derive-source.ts'

/** Puts a fixed prefix before every key. Byte order is kept. */
export function addPrefix (prefix: string): (source: KeySourceLike) => KeySource {
  if (typeof prefix !== 'string') throw new TypeError('addPrefix: prefix must be a string')
  return (input) => {
    const source = toKeySource(input)
    return deriveSource(source, async function * () {
      for await (const batch of source) yield batch.map(entry => ({ ...entry, key: prefix + entry.key }))
    })
  }
}

export interface StripPrefixOptions {
  /**
   * What to do with a key that lacks the prefix. `'error'` fails the source: on the
   * reference side a silently dropped key would make a live object look orphaned.
   * `'drop'` skips it (use it when references span several buckets); `'keep'` passes it
   * through unchanged (the source then no longer counts as sorted).
   * @default 'error'
   */
  onMismatch?: 'error' | 'drop' | 'keep'
}

/** Removes a fixed prefix from every key. */
export function stripPrefix (prefix: string, options: StripPrefixOptions = {}): (source: KeySourceLike) => KeySource {
  if (typeof prefix !== 'string') throw new TypeError('stripPrefix: prefix must be a string')
  const onMismatch = options.onMismatch ?? 'error'
  return (input) => {
    const source = toKeySource(input)
    return deriveSource(source, async function * () {
      for await (const batch of source) {
        const out: KeyEntry[] = []
        for (const entry of batch) {
          if (entry.key.startsWith(prefix)) out.push({ ...entry, key: entry.key.slice(prefix.length) })
          else if (onMismatch === 'keep') out.push(entry)
          else if (onMismatch === 'error') throw new KeydiffError(`${source.name}: key ${JSON.stringify(entry.key)} does not start with ${JSON.stringify(prefix)} (set onMismatch to 'drop' or 'keep' if that is expected)`, 'KEYDIFF_PREFIX_MISMATCH')
        }
        if (out.length > 0) yield out
      }
    }, { sorted: source.sorted && onMismatch !== 'keep' })
  }
}
