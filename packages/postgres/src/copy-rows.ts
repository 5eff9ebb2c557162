import { isAscii } from 'node:buffer'
import type { PoolClient } from 'pg'
import { AbortError, type KeyBatch, type KeyEntry } from '@keydiff/core'
import { CopyOut, type CopyChunk } from './copy-out.ts'

/**
 * The rows of a one-column `COPY (...) TO STDOUT` in text format, as byte ranges of the
 * socket's reads: the fastest way out of PostgreSQL (one message per row, no per-row
 * decoding by pg). The socket is paused while the consumer is behind.
 */
export async function * copyChunks (client: PoolClient, lost: Promise<never>, sql: string, signal?: AbortSignal): AsyncGenerator<CopyChunk> {
  signal?.throwIfAborted()
  const copy = new CopyOut(`COPY (${sql}) TO STDOUT`)
  lost.catch((error: unknown) => { copy.fail(error) })
  const onAbort = (): void => { copy.fail(new AbortError()) }
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    client.query(copy)
    for (;;) {
      const chunk = await copy.next()
      if (chunk === undefined) return
      yield chunk
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** The same rows as key batches of `batchSize` (the last one shorter). */
export async function * copyRows (client: PoolClient, lost: Promise<never>, sql: string, batchSize: number, signal?: AbortSignal): AsyncGenerator<KeyBatch> {
  let batch: KeyEntry[] = []
  for await (const chunk of copyChunks(client, lost, sql, signal)) {
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
 * Decodes a read's rows: an ASCII read is decoded once and cut with substring (a byte is a
 * character there); any other read row by row as UTF-8.
 */
export function appendEntries (chunk: CopyChunk, out: KeyEntry[]): void {
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
