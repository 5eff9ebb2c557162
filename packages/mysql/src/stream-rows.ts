import type { PoolConnection } from 'mysql2'
import { AbortError, type KeyBatch, type KeyEntry } from '@keydiff/core'

export interface StreamRowsInit {
  sql: string
  params: readonly unknown[]
  batchSize: number
  /** Rows as arrays (fast) or objects by column name (for mapRow). */
  rowsAsArray: boolean
  /** Turns a row into an entry; undefined skips it (a null key). */
  toEntry: (row: unknown) => KeyEntry | undefined
  signal?: AbortSignal | undefined
}

/** Batches waiting for the consumer before the socket is paused. */
const AHEAD = 2

/**
 * Rows of one query from mysql2's row events (several times faster than `.stream()` at its
 * default high-water mark), cut into batches; the socket is paused while the consumer is
 * `AHEAD` batches behind, so a slow consumer holds the server back.
 */
export async function * streamRows (connection: PoolConnection, lost: Promise<never>, init: StreamRowsInit): AsyncGenerator<KeyBatch> {
  const queue: KeyEntry[][] = []
  let current: KeyEntry[] = []
  let done = false
  let failure: { error: unknown } | undefined
  let paused = false
  let wake: (() => void) | undefined
  const notify = (): void => {
    const resume = wake
    wake = undefined
    resume?.()
  }
  const fail = (error: unknown): void => {
    failure ??= { error }
    notify()
  }
  const query = connection.query({ sql: init.sql, values: [...init.params], rowsAsArray: init.rowsAsArray })
  query.on('result', (row: unknown) => {
    if (failure !== undefined) return
    try {
      const entry = init.toEntry(row)
      if (entry !== undefined) current.push(entry)
    } catch (error) {
      fail(error)
      return
    }
    if (current.length >= init.batchSize) {
      queue.push(current)
      current = []
      if (queue.length >= AHEAD && !paused) {
        paused = true
        connection.pause()
      }
      notify()
    }
  })
  query.on('error', fail)
  query.on('end', () => {
    if (current.length > 0) queue.push(current)
    current = []
    done = true
    notify()
  })
  lost.catch(fail)
  for (;;) {
    if (failure !== undefined) throw failure.error
    const batch = queue.shift()
    if (batch !== undefined) {
      if (paused && queue.length < AHEAD) {
        paused = false
        connection.resume()
      }
      yield batch
      continue
    }
    if (done) return
    await new Promise<void>(resolve => { wake = resolve })
    if (init.signal?.aborted === true) throw new AbortError()
  }
}
