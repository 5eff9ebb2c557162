import type { PoolClient } from 'pg'
import Cursor from 'pg-cursor'
import { AbortError, type KeyBatch, type KeyEntry } from '@keydiff/core'
import { renderKey, type BinaryEncoding } from './key-types.ts'

/** Maps a row (all its columns by name) to a key or an entry; a reference is never dropped. */
export type RowMapper = (row: Record<string, unknown>) => string | KeyEntry

export interface CursorRowsInit {
  sql: string
  params: readonly unknown[]
  batchSize: number
  binary: BinaryEncoding
  column: string
  mapRow?: RowMapper | undefined
  signal?: AbortSignal | undefined
}

/**
 * Rows through a server-side cursor (pg-cursor), `batchSize` at a time: the next batch is
 * fetched only when the consumer asks, so a slow consumer holds the server back.
 */
export async function * cursorRows (client: PoolClient, lost: Promise<never>, init: CursorRowsInit): AsyncGenerator<KeyBatch> {
  const arrays = init.mapRow === undefined
  const cursor = client.query(new Cursor(init.sql, [...init.params], arrays ? { rowMode: 'array' } : {}))
  try {
    for (;;) {
      if (init.signal?.aborted === true) throw new AbortError()
      const rows = await Promise.race([cursor.read(init.batchSize), lost])
      if (rows.length === 0) return
      const batch: KeyEntry[] = []
      if (arrays) {
        for (let i = 0; i < rows.length; i++) {
          const key = renderKey((rows[i] as unknown[])[0], init.binary)
          if (key !== undefined) batch.push({ key })
        }
      } else {
        const mapRow = init.mapRow as RowMapper
        for (let i = 0; i < rows.length; i++) batch.push(mapped(rows[i] as Record<string, unknown>, mapRow, init))
      }
      if (batch.length > 0) yield batch
      if (rows.length < init.batchSize) return
    }
  } finally {
    await Promise.race([cursor.close(), lost]).catch(() => {})
  }
}

function mapped (row: Record<string, unknown>, mapRow: RowMapper, init: CursorRowsInit): KeyEntry {
  const out = mapRow(row)
  if (typeof out === 'string') return { key: out }
  if (out !== null && typeof out === 'object' && typeof out.key === 'string') return out
  throw new TypeError(`mapRow returned ${String(out)} for the row with ${init.column} = ${JSON.stringify(renderKey(row[init.column], init.binary))}; it must return a key or an entry`)
}
