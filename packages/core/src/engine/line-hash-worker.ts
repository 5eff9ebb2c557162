import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { sharedArena } from '../bloom/wasm-arena.ts'
import { threadErrorReport } from '../util/thread-error.ts'
import type { HashedLinesMessage, LineBuffers, LineHashJob, LineHashMessage } from './line-hash-thread.ts'
import { readLineChunks } from './line-chunks.ts'
import { readLineBlocks } from './line-blocks.ts'
import { partitionsOf, recordWords, routeRecords, type RecordRoute } from '../spill/routed-records.ts'
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

async function buffersFor (chunk: LineChunk, route: RecordRoute | undefined): Promise<LineBuffers> {
  if (unsent > 0) {
    unsent--
  } else {
    while (free.length === 0) await new Promise<void>(resolve => { wake = resolve })
  }
  const empty = (): ArrayBuffer => new ArrayBuffer(0)
  const buffers = free.pop() ?? { bytes: empty(), starts: empty(), ends: empty(), words: empty(), records: empty(), partitionStarts: empty() }
  return {
    bytes: room(buffers.bytes, chunk.bytes.length),
    starts: room(buffers.starts, 4 * chunk.length),
    ends: room(buffers.ends, 4 * chunk.length),
    words: room(buffers.words, 16 * chunk.length),
    records: route === undefined ? buffers.records : room(buffers.records, 4 * recordWords(route) * chunk.length),
    partitionStarts: route === undefined ? buffers.partitionStarts : room(buffers.partitionStarts, 4 * (partitionsOf(route) + 1))
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

// This thread's blocks of the stream's files when threads share them, else the files from their start.
async function * chunksOf (stream: number, files: LineHashJob['streams'][number]): AsyncGenerator<LineChunk> {
  if (job.blocks !== undefined) {
    yield * readLineBlocks(files, job.blocks.identities[stream] ?? [], job.blocks.share)
    return
  }
  for (const file of files) yield * readLineChunks(file.path, file.name)
}

async function send (stream: number, files: LineHashJob['streams'][number]): Promise<void> {
  const route = job.routes?.[stream]
  // Each chunk is copied into the buffers sent before the next is read.
  for await (const chunk of chunksOf(stream, files)) {
    const buffers = await buffersFor(chunk, route)
    const { length } = chunk
    new Uint8Array(buffers.bytes).set(chunk.bytes)
    const starts = new Uint32Array(buffers.starts, 0, length)
    const ends = new Uint32Array(buffers.ends, 0, length)
    starts.set(chunk.starts.subarray(0, length))
    ends.set(chunk.ends.subarray(0, length))
    const words = new Uint32Array(buffers.words)
    // Hashed from the copies: a block's starts and ends were views of the arena the hashing uses.
    hashLines({ bytes: Buffer.from(buffers.bytes, 0, chunk.bytes.length), starts, ends, length }, words)
    // The spilling thread's work per key, done here: it copies a run of records per partition.
    if (route !== undefined) routeRecords(words, length, route, new Uint32Array(buffers.records), new Uint32Array(buffers.partitionStarts))
    const message: HashedLinesMessage = { stream, buffers, byteLength: chunk.bytes.length, length }
    port.postMessage(message, [buffers.bytes, buffers.starts, buffers.ends, buffers.words, buffers.records, buffers.partitionStarts])
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
