import { isAscii } from 'node:buffer'
import type { KeyBatch, KeyEntry } from '@keydiff/core'
import type { RowChunk } from './row-chunks.ts'

/** Key batches of `batchSize` (the last one shorter) from row chunks. */
export async function * chunkBatches (chunks: AsyncIterable<RowChunk>, batchSize: number): AsyncGenerator<KeyBatch> {
  let batch: KeyEntry[] = []
  for await (const chunk of chunks) {
    appendEntries(chunk, batch)
    while (batch.length >= batchSize) {
      if (batch.length === batchSize) {
        yield batch
        batch = []
      } else {
        const full = batch.slice(0, batchSize)
        batch = batch.slice(batchSize)
        yield full
      }
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Decodes a read's keys: an ASCII read is decoded once and cut with substring (a byte is a
 * character there); any other read key by key as UTF-8.
 */
export function appendEntries (chunk: RowChunk, out: KeyEntry[]): void {
  const { bytes, starts, ends, length } = chunk
  if (length === 0) return
  const from = starts[0] as number
  const to = ends[length - 1] as number
  if (isAscii(bytes.subarray(from, to))) {
    const text = bytes.toString('latin1', from, to)
    for (let i = 0; i < length; i++) out.push({ key: text.substring((starts[i] as number) - from, (ends[i] as number) - from) })
  } else {
    for (let i = 0; i < length; i++) out.push({ key: bytes.toString('utf8', starts[i], ends[i]) })
  }
}
