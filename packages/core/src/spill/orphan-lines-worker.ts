import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { threadErrorReport } from '../util/thread-error.ts'
import { emptyPackedLines, packedBuffers, packLines, type PackedLines } from '../engine/packed-lines.ts'
import { orphanLinesOfChunks } from './orphan-lines.ts'
import type { OrphanLinesInput, OrphanLinesJob, OrphanLinesMessage } from './orphan-lines-thread.ts'
import { OrphanMarks, type OrphanSegment } from './orphan-marks.ts'
import { spillDirAt } from './work-dir.ts'

// The entry of an OrphanLinesThread: once given the orphan logs' segments, reads the
// candidates' files back and sends their orphans' keys in batches, as far ahead of the reader
// as its credits allow (each batch the reader has taken gives one back). A batch's memory is
// its own, kept by whoever holds the part it becomes, unless the reader hands it back to be
// filled again (transient parts).

const job = workerData as OrphanLinesJob
const port = parentPort as MessagePort
let credits = job.ahead
const free: PackedLines[] = []
let wake: (() => void) | undefined
let begin: ((segments: OrphanSegment[]) => void) | undefined
const segments = new Promise<OrphanSegment[]>(resolve => { begin = resolve })
port.on('message', (message: OrphanLinesInput) => {
  if ('segments' in message) {
    begin?.(message.segments)
    return
  }
  if (!('taken' in message)) free.push(message)
  credits++
  wake?.()
})

async function send (): Promise<void> {
  const marks = new OrphanMarks(await segments, job.window, spillDirAt(job.dir))
  for (const { first, chunk, lines } of orphanLinesOfChunks(job.candidates, marks, job.count, job.share, job.kind)) {
    while (credits === 0) await new Promise<void>(resolve => { wake = resolve })
    credits--
    const batch = free.pop() ?? emptyPackedLines()
    packLines(chunk, lines, lines.length, batch)
    port.postMessage({ first, lines: batch } satisfies OrphanLinesMessage, packedBuffers(batch))
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
