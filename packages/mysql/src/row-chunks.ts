import type { PoolConnection } from 'mysql2'
import { PausedQueue } from './paused-queue.ts'

/**
 * The key column of a stretch of rows where it lies in one socket read: row i is
 * `bytes[starts[i], ends[i])`, UTF-8, and the bytes between rows are protocol framing. This is
 * the shape of core's LineChunk, so the engine hashes the keys without making strings.
 */
export interface RowChunk {
  readonly bytes: Buffer
  readonly starts: Uint32Array
  readonly ends: Uint32Array
  readonly length: number
}

interface Packet { buffer: Buffer, offset: number, isEOF: () => boolean }
type State = (this: QueryState, packet: Packet, connection: unknown) => State | null
interface QueryState {
  row: State
  on: (event: string, listener: (...args: never[]) => void) => unknown
}

const NULL = 0xfb
const TWO_BYTES = 0xfc
const THREE_BYTES = 0xfd

/** Socket reads queued for the consumer before the socket is paused. */
const HIGH_WATER = 16

/**
 * The first column of a text-protocol result, read straight from mysql2's packets: the
 * query's row state is replaced by one that notes where each row's value lies (no row array,
 * no string, no event per row), grouped by the socket read it arrived in. mysql2 still owns
 * the protocol: the result's end, errors and the connection state are its own.
 * The caller has checked that the column arrives as UTF-8 and that no typeCast is set.
 */
export async function * rowChunks (connection: PoolConnection, lost: Promise<never>, sql: string, params: readonly unknown[], signal?: AbortSignal): AsyncGenerator<RowChunk> {
  signal?.throwIfAborted()
  const queue = new PausedQueue<RowChunk>(connection, HIGH_WATER, HIGH_WATER / 2)
  let bytes: Buffer | undefined
  let capacity = 1024
  let starts: Uint32Array = new Uint32Array(capacity)
  let ends: Uint32Array = new Uint32Array(capacity)
  let n = 0
  const flush = (): void => {
    if (n > 0 && bytes !== undefined) {
      queue.push({ bytes, starts: starts.subarray(0, n), ends: ends.subarray(0, n), length: n })
      // Sized for the largest read so far: a one-row read (a row split between two socket
      // reads arrives in a buffer of its own) must not shrink the next one's arrays.
      capacity = Math.max(capacity, n + (n >>> 2))
      starts = new Uint32Array(capacity)
      ends = new Uint32Array(capacity)
      n = 0
    }
    bytes = undefined
  }

  const query = connection.query({ sql, values: [...params] }) as unknown as QueryState
  const endOfRows = query.row
  const row: State = function (this: QueryState, packet, conn) {
    if (packet.isEOF()) {
      flush()
      return endOfRows.call(this, packet, conn)
    }
    const buffer = packet.buffer
    if (buffer !== bytes) {
      flush()
      bytes = buffer
      // The rest of this read is parsed synchronously; its rows go out once it is.
      queueMicrotask(flush)
    }
    let p = packet.offset
    const head = buffer[p] as number
    if (head === NULL) return row
    let length = head
    if (head === TWO_BYTES) {
      length = buffer.readUInt16LE(p + 1)
      p += 3
    } else if (head === THREE_BYTES) {
      length = buffer.readUIntLE(p + 1, 3)
      p += 4
    } else if (head > THREE_BYTES) {
      queue.fail(new Error(`a key of more than 16 MiB (length byte 0x${head.toString(16)})`))
      return row
    } else {
      p += 1
    }
    if (n === starts.length) {
      starts = grown(starts)
      ends = grown(ends)
    }
    starts[n] = p
    ends[n] = p + length
    n++
    return row
  }
  query.row = row
  query.on('error', queue.fail)
  query.on('end', () => {
    flush()
    queue.end()
  })
  yield * queue.drain(lost, signal)
}

function grown (array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2)
  bigger.set(array)
  return bigger
}
