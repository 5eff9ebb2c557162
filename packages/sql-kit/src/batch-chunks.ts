import type { KeyBatch } from '@keydiff/core'
import type { LineChunk } from '@keydiff/core/adapter'

/**
 * Key batches as byte chunks (each key's UTF-8, one line each), for a source that offers the
 * engine's byte path but learns only once planned that its rows must be decoded first.
 */
export async function * batchChunks (batches: AsyncIterable<KeyBatch>): AsyncGenerator<LineChunk> {
  for await (const batch of batches) {
    const keys = batch.map(entry => entry.key)
    const bytes = Buffer.from(keys.join('\n'))
    const starts = new Uint32Array(keys.length)
    const ends = new Uint32Array(keys.length)
    let at = 0
    for (let i = 0; i < keys.length; i++) {
      starts[i] = at
      at += Buffer.byteLength(keys[i] as string)
      ends[i] = at
      at += 1
    }
    yield { bytes, starts, ends, length: keys.length }
  }
}
