import fc from 'fast-check'
import type { KeyBatch, KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

/** Keys of a line each (no CR or LF), short, some shaped as blob keys, some beyond the BMP. */
export const keyArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 5 }),
  fc.constantFrom('a', 'blobs/ab/cd/', '\u{1F600}', 'blobs/ab/cd/0123456789abcdef')
).filter(key => key.length > 0 && !/[\r\n]/.test(key))
export const keysArb = fc.array(keyArb, { maxLength: 80 })

/** The keys as a source of batches of seven. */
export function keysSource (keys: readonly string[], name: string, sorted = false): KeySource {
  return keySource(function * (): Generator<KeyBatch> {
    for (let i = 0; i < keys.length; i += 7) yield keys.slice(i, i + 7).map(key => ({ key }))
  }, { name, sorted })
}
