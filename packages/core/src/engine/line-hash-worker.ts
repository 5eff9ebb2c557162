import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { sharedArena } from '../bloom/wasm-arena.ts'
import { threadErrorReport } from '../util/thread-error.ts'
import type { HashedLinesMessage, LineBuffers, LineHashJob, LineHashMessage } from './line-hash-thread.ts'
import { readLineChunks } from './line-chunks.ts'
import type { LineChunk } from '../contracts/key-source.ts'

// The entry of a LineHashThread: reads, splits and fingerprints each stream's files, and
// sends the chunks as far ahead of the reader as its credits allow. Every buffer the reader
// hands back is a credit, and is filled again: fresh memory for each chunk cost more (its
// pages zeroed and faulted in) than splitting the chunk.

const job = workerData as LineHashJob
const port = parentPort as MessagePort
const free: LineBuffers[] = []
let unsent = job.ahead
let wake: (() => void) | undefined
port.on('message', (buffers: LineBuffers) => {
  free.push(buffers)
  wake?.()
})

async function buffersFor (chunk: LineChunk): Promise<LineBuffers> {
  if (unsent > 0) {
    unsent--
  } else {
    while (free.length === 0) await new Promise<void>(resolve => { wake = resolve })
  }
  const buffers = free.pop() ?? { bytes: new ArrayBuffer(0), starts: new ArrayBuffer(0), ends: new ArrayBuffer(0), words: new ArrayBuffer(0) }
  return {
    bytes: room(buffers.bytes, chunk.bytes.length),
    starts: room(buffers.starts, 4 * chunk.length),
    ends: room(buffers.ends, 4 * chunk.length),
    words: room(buffers.words, 16 * chunk.length)
  }
}

// Grows by half again, so that chunks a little larger than the last do not allocate each time.
function room (buffer: ArrayBuffer, bytes: number): ArrayBuffer {
  return buffer.byteLength >= bytes ? buffer : new ArrayBuffer(Math.ceil(bytes * 1.5 / 16) * 16)
}

// As LineHasher.hash, or only the first half of each fingerprint (one hash where it takes two).
function hashLines (chunk: LineChunk, words: Uint32Array): void {
  const a = sharedArena()
  for (let from = 0; from < chunk.length;) {
    const m = a.packLines(chunk, from)
    if (job.stride === 4) a.kernel.fingerprint(m, a.offsetsPtr, 8, a.bytesPtr, a.outPtr)
    else a.kernel.hash(m, a.offsetsPtr, 8, a.bytesPtr, a.outPtr, 0)
    a.copyOut(job.stride * m, words, job.stride * from)
    from += m
  }
}

async function send (stream: number, files: LineHashJob['streams'][number]): Promise<void> {
  for (const file of files) {
    // Each chunk is copied into the buffers sent before the next is read.
    for await (const chunk of readLineChunks(file.path, file.name)) {
      const buffers = await buffersFor(chunk)
      const { length } = chunk
      new Uint8Array(buffers.bytes).set(chunk.bytes)
      new Uint32Array(buffers.starts).set(chunk.starts.subarray(0, length))
      new Uint32Array(buffers.ends).set(chunk.ends.subarray(0, length))
      hashLines(chunk, new Uint32Array(buffers.words))
      const message: HashedLinesMessage = { stream, buffers, byteLength: chunk.bytes.length, length }
      port.postMessage(message, [buffers.bytes, buffers.starts, buffers.ends, buffers.words])
    }
  }
}

for (let stream = 0; stream < job.streams.length; stream++) {
  let message: LineHashMessage
  try {
    await send(stream, job.streams[stream] as LineHashJob['streams'][number])
    message = { stream, done: true }
  } catch (error) {
    message = { stream, error: threadErrorReport(error) }
  }
  port.postMessage(message)
  if ('error' in message) break
}
// Nothing is left to wait for: the thread ends once its last message is out.
port.unref()
