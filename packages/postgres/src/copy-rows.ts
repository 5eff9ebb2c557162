import type { PoolClient } from 'pg'
import { AbortError, type KeyBatch } from '@keydiff/core'
import { lineChunkBatches } from '@keydiff/core/adapter'
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
export function copyRows (client: PoolClient, lost: Promise<never>, sql: string, batchSize: number, signal?: AbortSignal): AsyncGenerator<KeyBatch> {
  return lineChunkBatches(copyChunks(client, lost, sql, signal), batchSize)
}
