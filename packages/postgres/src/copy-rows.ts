import type { PoolClient } from 'pg'
import { to as copyTo } from 'pg-copy-streams'
import { AbortError, type KeyBatch } from '@keydiff/core'

const NEWLINE = 0x0a

/**
 * Rows of a one-column `COPY (...) TO STDOUT` in text format: the fastest way out of
 * PostgreSQL (no per-row protocol messages). Stream back-pressure holds the server back.
 */
export async function * copyRows (client: PoolClient, lost: Promise<never>, sql: string, batchSize: number, signal?: AbortSignal): AsyncGenerator<KeyBatch> {
  const stream = client.query(copyTo(`COPY (${sql}) TO STDOUT`))
  let rest: Buffer | undefined
  let batch: Array<{ key: string }> = []
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (signal?.aborted === true) throw new AbortError()
      const data = rest === undefined ? chunk : Buffer.concat([rest, chunk])
      const end = data.lastIndexOf(NEWLINE)
      if (end < 0) {
        rest = data
        continue
      }
      rest = end + 1 < data.length ? data.subarray(end + 1) : undefined
      const lines = data.toString('utf8', 0, end).split('\n')
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string
        if (line === '\\N') continue
        batch.push({ key: line.includes('\\') ? unescapeCopy(line) : line })
      }
      if (batch.length >= batchSize) {
        yield batch
        batch = []
      }
    }
    if (rest !== undefined) throw new Error(`COPY output ended inside a row (${rest.length} bytes without a newline)`)
    if (batch.length > 0) yield batch
  } finally {
    if (!stream.destroyed) stream.destroy()
  }
}

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' }

/** COPY's text format escapes backslash and control characters; it never emits octal or hex. */
export function unescapeCopy (line: string): string {
  return line.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c)
}
