import type { Duplex } from 'node:stream'
import type { Connection, Submittable } from 'pg'

/**
 * The rows of one stretch of COPY text output, where they lie in the socket's buffer: row i
 * is `bytes[starts[i], ends[i])`, unescaped, without its newline. The bytes between rows are
 * protocol framing. This is the shape of core's LineChunk, so the engine hashes the rows
 * from these bytes without making strings.
 */
export interface CopyChunk {
  readonly bytes: Buffer
  readonly starts: Uint32Array
  readonly ends: Uint32Array
  readonly length: number
}

const COPY_DATA = 0x64 // 'd'
const COPY_DONE = 0x63 // 'c'
// Messages the server may send before or between CopyData; they carry nothing a scan needs.
const PASSED_OVER = new Set([0x48 /* H: CopyOutResponse */, 0x4e /* N: notice */, 0x53 /* S: parameter status */, 0x41 /* A: notification */])
const BACKSLASH = 0x5c
const NEWLINE = 0x0a
const LETTER_N = 0x4e

// COPY's text format escapes backslash and the control characters; it never emits octal or hex.
const UNESCAPE = new Uint8Array(256).map((_, byte) => byte)
UNESCAPE[0x62] = 0x08 // \b
UNESCAPE[0x66] = 0x0c // \f
UNESCAPE[0x6e] = 0x0a // \n
UNESCAPE[0x72] = 0x0d // \r
UNESCAPE[0x74] = 0x09 // \t
UNESCAPE[0x76] = 0x0b // \v

/** Socket reads (64 KiB each) queued for the consumer before the socket is paused. */
const HIGH_WATER = 16

type DataListener = (chunk: Buffer) => void

/**
 * A one-column `COPY ... TO STDOUT` as a pg Submittable that reads the protocol itself: it
 * takes the socket's 'data' events from pg while the copy runs, finds each CopyData message's
 * row in place (no per-row allocation, no copy of the bytes), and gives the socket back to pg
 * at CopyDone or at the first message it does not own (an ErrorResponse), so pg still ends
 * the query (CommandComplete, ReadyForQuery) and reports errors through handleError.
 * The socket is paused while the consumer is HIGH_WATER reads behind.
 */
export class CopyOut implements Submittable {
  private readonly queue: CopyChunk[] = []
  private carry: Buffer | undefined
  private failure: { error: unknown } | undefined
  private ready = false
  private wake: (() => void) | undefined
  private stream: Duplex | undefined
  private pgListener: DataListener | undefined
  private paused = false
  private rowsPerRead = 1024

  constructor (readonly text: string) {}

  submit (connection: Connection): Error | undefined {
    const stream = connection.stream
    const listeners = stream.listeners('data') as DataListener[]
    if (listeners.length !== 1) return new Error(`the pg connection has ${listeners.length} 'data' listeners, expected pg's own parser only`)
    this.stream = stream
    this.pgListener = listeners[0] as DataListener
    stream.removeListener('data', this.pgListener)
    stream.on('data', this.onData)
    connection.query(this.text)
    return undefined
  }

  /** The next stretch of rows; undefined once the server has ended the copy and is ready again. */
  async next (): Promise<CopyChunk | undefined> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure.error
      const chunk = this.queue.shift()
      if (chunk !== undefined) {
        if (this.paused && this.queue.length <= HIGH_WATER / 2) {
          this.paused = false
          this.stream?.resume()
        }
        return chunk
      }
      if (this.ready) return undefined
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  fail (error: unknown): void {
    this.failure ??= { error }
    this.notify()
  }

  // pg calls these once it has the socket back.
  handleError (error: Error): void { this.fail(error) }
  handleCommandComplete (): void {}
  handleReadyForQuery (): void {
    this.ready = true
    this.notify()
  }

  private notify (): void {
    const resume = this.wake
    this.wake = undefined
    resume?.()
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.failure !== undefined) return
    const data = this.carry === undefined ? chunk : Buffer.concat([this.carry, chunk])
    this.carry = undefined
    const length = data.length
    let starts: Uint32Array = new Uint32Array(this.rowsPerRead + 16)
    let ends: Uint32Array = new Uint32Array(starts.length)
    let n = 0
    let p = 0
    let done = false
    let backslash = 0
    while (p + 5 <= length) {
      const code = data[p] as number
      const end = p + 1 + data.readUInt32BE(p + 1)
      if (end > length) break
      if (code === COPY_DATA) {
        const start = p + 5
        let stop = end - 1
        if (data[stop] !== NEWLINE) {
          // The session is then destroyed by the scan, so pg never reads the rest.
          this.fail(new Error('a COPY row did not end in a newline: not one-column text output'))
          return
        }
        if (backslash !== -1 && backslash < start) backslash = data.indexOf(BACKSLASH, start)
        if (backslash !== -1 && backslash < stop) {
          if (stop - start === 2 && data[start] === BACKSLASH && data[start + 1] === LETTER_N) {
            p = end
            continue
          }
          stop = unescapeInPlace(data, start, stop)
        }
        if (n === starts.length) {
          starts = grown(starts)
          ends = grown(ends)
        }
        starts[n] = start
        ends[n] = stop
        n++
      } else if (code === COPY_DONE) {
        p = end
        done = true
        break
      } else if (!PASSED_OVER.has(code)) {
        done = true
        break
      }
      p = end
    }
    if (n > 0) {
      this.rowsPerRead = n
      this.queue.push({ bytes: data, starts, ends, length: n })
    }
    if (done) {
      this.giveBack(data.subarray(p))
    } else {
      if (p < length) this.carry = data.subarray(p)
      if (this.queue.length >= HIGH_WATER && !this.paused) {
        this.paused = true
        this.stream?.pause()
      }
    }
    this.notify()
  }

  /** Hands the socket, and what is left of this read, back to pg's own parser. */
  private giveBack (rest: Buffer): void {
    const stream = this.stream as Duplex
    const pgListener = this.pgListener as DataListener
    stream.removeListener('data', this.onData)
    stream.on('data', pgListener)
    if (this.paused) {
      this.paused = false
      stream.resume()
    }
    if (rest.length > 0) pgListener(rest)
  }
}

/** Undoes COPY's escapes of a row where it lies (the result is never longer); returns its new end. */
export function unescapeInPlace (bytes: Uint8Array, start: number, end: number): number {
  let w = start
  for (let r = start; r < end; r++) {
    let byte = bytes[r] as number
    if (byte === BACKSLASH && r + 1 < end) byte = UNESCAPE[bytes[++r] as number] as number
    bytes[w++] = byte
  }
  return w
}

function grown (array: Uint32Array): Uint32Array {
  const bigger = new Uint32Array(array.length * 2)
  bigger.set(array)
  return bigger
}
