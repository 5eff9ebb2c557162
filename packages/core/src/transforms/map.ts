import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { deriveSource } from '../keys/derive-source.ts'

export interface MapOptions {
  /**
   * Set when the mapping keeps UTF-8 byte order (e.g. adding a fixed prefix), so a sorted
   * source stays sorted. The engine still checks the order. @default false
   */
  preservesOrder?: boolean
}

export type KeyMapper = (entry: KeyEntry) => string | KeyEntry

/**
 * Maps every entry to a new key (or a whole new entry), e.g. a reference row to its storage
 * key. The mapper must return a string or an entry: a mapping that silently dropped
 * references would turn live objects into orphans, so `filter` is the only way to drop.
 */
export function map (mapper: KeyMapper, options: MapOptions = {}): (source: KeySourceLike) => KeySource {
  if (typeof mapper !== 'function') throw new TypeError('map: mapper must be a function')
  return (input) => {
    const source = toKeySource(input)
    return deriveSource(source, async function * () {
      for await (const batch of source) {
        const out = new Array<KeyEntry>(batch.length)
        for (let i = 0; i < batch.length; i++) {
          const entry = batch[i] as KeyEntry
          const mapped = mapper(entry)
          if (typeof mapped === 'string') out[i] = mapped === entry.key ? entry : { ...entry, key: mapped }
          else if (mapped !== null && typeof mapped === 'object' && typeof mapped.key === 'string') out[i] = mapped
          else throw new TypeError(`map: the mapper returned ${String(mapped)} for key ${JSON.stringify(entry.key)} of ${source.name}; use filter() to drop keys`)
        }
        yield out
      }
    }, { sorted: source.sorted && options.preservesOrder === true })
  }
}
