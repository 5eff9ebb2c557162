import { isAscii } from 'node:buffer'
import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { threadErrorReport } from '../util/thread-error.ts'
import { orphanLinesOfChunks } from './orphan-lines.ts'
import type { OrphanLinesBatch, OrphanLinesInput, OrphanLinesJob, OrphanLinesMessage } from './orphan-lines-thread.ts'
import { OrphanMarks, type OrphanSegment } from './orphan-marks.ts'
import { spillDirAt } from './work-dir.ts'

// The entry of an OrphanLinesThread: once given the orphan logs' segments, reads the
// candidates' files back and sends their orphans' keys in batches, as far ahead of the reader
// as its credits allow (each batch handed back is one, and is filled again).

const job = workerData as OrphanLinesJob
const port = parentPort as MessagePort
const free: OrphanLinesBatch[] = []
let unsent = job.ahead
let wake: (() => void) | undefined
let begin: ((segments: OrphanSegment[]) => void) | undefined
const segments = new Promise<OrphanSegment[]>(resolve => { begin = resolve })
port.on('message', (message: OrphanLinesInput) => {
  if ('segments' in message) {
    begin?.(message.segments)
    return
  }
  free.push(message)
  wake?.()
})

async function emptyBatch (): Promise<OrphanLinesBatch> {
  if (unsent > 0) {
    unsent--
    const empty = new ArrayBuffer(0)
    return { bytes: empty, starts: empty, ends: empty, length: 0, ascii: true }
  }
  while (free.length === 0) await new Promise<void>(resolve => { wake = resolve })
  return free.pop() as OrphanLinesBatch
}

// Grows by half again, so that chunks a little larger than the last do not allocate each time.
function room (buffer: ArrayBuffer, bytes: number): ArrayBuffer {
  return buffer.byteLength >= bytes ? buffer : new ArrayBuffer(Math.ceil(bytes * 1.5 / 16) * 16)
}

// A chunk's bytes from its first orphan's start to its last's end go in one copy, the
// orphans' offsets rebased: a copy a key cost more than the whole span.
async function send (): Promise<void> {
  const marks = new OrphanMarks(await segments, job.window, spillDirAt(job.dir))
  for (const { chunk, lines } of orphanLinesOfChunks(job.candidates, marks, job.count)) {
    const batch = await emptyBatch()
    const n = lines.length
    const from = chunk.starts[lines[0] as number] as number
    const to = chunk.ends[lines[n - 1] as number] as number
    const span = chunk.bytes.subarray(from, to)
    batch.bytes = room(batch.bytes, to - from)
    batch.starts = room(batch.starts, 4 * n)
    batch.ends = room(batch.ends, 4 * n)
    new Uint8Array(batch.bytes).set(span)
    const starts = new Uint32Array(batch.starts)
    const ends = new Uint32Array(batch.ends)
    for (let i = 0; i < n; i++) {
      const line = lines[i] as number
      starts[i] = (chunk.starts[line] as number) - from
      ends[i] = (chunk.ends[line] as number) - from
    }
    batch.length = n
    batch.ascii = isAscii(span)
    port.postMessage(batch satisfies OrphanLinesMessage, [batch.bytes, batch.starts, batch.ends])
  }
}
let last: OrphanLinesMessage
try {
  await send()
  last = { done: true }
} catch (error) {
  last = { error: threadErrorReport(error) }
}
port.postMessage(last)
// Nothing is left to wait for: the thread ends once its last message is out.
port.unref()
