import { isAscii } from 'node:buffer'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { LineChunk } from '../contracts/key-source.ts'

/**
 * Key batches of `batchSize` (the last one shorter) from byte chunks, for a source that is
 * iterated as batches rather than handed to the engine as bytes.
 */
export async function * lineChunkBatches (chunks: AsyncIterable<LineChunk>, batchSize: number): AsyncGenerator<KeyBatch> {
  let batch: KeyEntry[] = []
  for await (const chunk of chunks) {
    appendChunkEntries(chunk, batch)
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
 * Decodes a chunk's keys onto `out`: an ASCII chunk is decoded once and cut with substring
 * (a byte is a character there); any other chunk key by key as UTF-8.
 */
export function appendChunkEntries (chunk: LineChunk, out: KeyEntry[]): void {
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
