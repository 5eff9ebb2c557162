import { parentPort, workerData, type MessagePort } from 'node:worker_threads'
import { sharedArena } from '../bloom/wasm-arena.ts'
import { threadErrorReport } from '../util/thread-error.ts'
import type { AddedLinesMessage, CheckedLinesMessage, HashedLinesMessage, LineBuffers, LineHashInput, LineHashJob, LineHashMessage } from './line-hash-thread.ts'
import { FilterChecker } from '../bloom/filter-checker.ts'
import { FilterAdder } from '../bloom/filter-adder.ts'
import { packLines, room } from './packed-lines.ts'
import { readLineChunks } from './line-chunks.ts'
import { readLineBlocks } from './line-blocks.ts'
import { partitionsOf, recordWords, routeRecords, type RecordRoute } from '../spill/routed-records.ts'
import type { LineChunk } from '../contracts/key-source.ts'
import { PartitionRoute, WHOLE_KEY_SPACE } from './hash-partition.ts'

// The entry of a LineHashThread: reads, splits and fingerprints each stream's files, and
// sends the chunks as far ahead of the reader as its credits allow. Every buffer the reader
// hands back is a credit, and is filled again: fresh memory for each chunk cost more (its
// pages zeroed and faulted in) than splitting the chunk.

const job = workerData as LineHashJob
const port = parentPort as MessagePort
const free: LineBuffers[] = []
let unsent = job.ahead
let wake: (() => void) | undefined
// The filter the checked stream's lines are checked against, once the reader sends it.
let sealed: ((checker: FilterChecker) => void) | undefined
const checker = new Promise<FilterChecker>(resolve => { sealed = resolve })
// The filter the added stream's lines go into, once the reader sends it.
let opened: ((adder: FilterAdder) => void) | undefined
const adder = new Promise<FilterAdder>(resolve => { opened = resolve })
// A filter the reader sent, taken for `stream`; one it refuses fails that stream.
function take (stream: number | undefined, open: () => void): void {
  try {
    open()
  } catch (error) {
    port.postMessage({ stream: stream ?? 0, error: threadErrorReport(error) } satisfies LineHashMessage)
  }
}
port.on('message', (message: LineBuffers | LineHashInput) => {
  if ('filter' in message) take(job.check, () => sealed?.(new FilterChecker(message.filter)))
  else if ('adder' in message) take(job.add, () => opened?.(new FilterAdder(message.adder)))
  else {
    free.push(message)
    wake?.()
  }
})

// A batch's buffers, once the reader has room for one more.
async function credit (): Promise<LineBuffers> {
  if (unsent > 0) {
    unsent--
  } else {
    while (free.length === 0) await new Promise<void>(resolve => { wake = resolve })
  }
  const empty = (): ArrayBuffer => new ArrayBuffer(0)
  return free.pop() ?? { bytes: empty(), starts: empty(), ends: empty(), words: empty(), records: empty(), partitionStarts: empty() }
}

// The buffers grown to hold the chunk's records, and with `lines` its lines and fingerprints.
function sized (buffers: LineBuffers, chunk: LineChunk, route: RecordRoute | undefined, lines: boolean): LineBuffers {
  return {
    bytes: lines ? room(buffers.bytes, chunk.bytes.length) : buffers.bytes,
    starts: lines ? room(buffers.starts, 4 * chunk.length) : buffers.starts,
    ends: lines ? room(buffers.ends, 4 * chunk.length) : buffers.ends,
    words: lines ? room(buffers.words, 16 * chunk.length) : buffers.words,
    records: route === undefined ? buffers.records : room(buffers.records, 4 * recordWords(route) * chunk.length),
    partitionStarts: route === undefined ? buffers.partitionStarts : room(buffers.partitionStarts, 4 * (partitionsOf(route) + 1))
  }
}

async function buffersFor (chunk: LineChunk, route: RecordRoute | undefined): Promise<LineBuffers> {
  return sized(await credit(), chunk, route, true)
}

function post (message: HashedLinesMessage): void {
  const { buffers } = message
  port.postMessage(message, [buffers.bytes, buffers.starts, buffers.ends, buffers.words, buffers.records, buffers.partitionStarts])
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
  if (stream === job.check) {
    await sendChecked(stream, files)
    return
  }
  if (stream === job.add) {
    await sendAdded(stream, files)
    return
  }
  const route = job.routes?.[stream]
  const recordsOnly = job.recordsOnly?.[stream] === true
  // Each chunk is copied into the buffers sent before the next is read.
  for await (const chunk of chunksOf(stream, files)) {
    const { length } = chunk
    let buffers = await credit()
    if (recordsOnly && route !== undefined) {
      // The set takes the records alone: laid out where splitting left the lines, nothing else
      // copied or sent (a third of the bytes a chunk's memory moves); a chunk split elsewhere
      // goes whole, as any other.
      buffers = sized(buffers, chunk, route, false)
      if (sharedArena().routeSplitLines(chunk, route, undefined, new Uint32Array(buffers.records), new Uint32Array(buffers.partitionStarts))) {
        post({ stream, buffers, byteLength: 0, length, recordsOnly: true })
        continue
      }
    }
    buffers = sized(buffers, chunk, route, true)
    const words = new Uint32Array(buffers.words)
    const starts = new Uint32Array(buffers.starts, 0, length)
    const ends = new Uint32Array(buffers.ends, 0, length)
    starts.set(chunk.starts.subarray(0, length))
    ends.set(chunk.ends.subarray(0, length))
    new Uint8Array(buffers.bytes).set(chunk.bytes)
    // A block's lines are hashed (and their records laid out) where splitting left them in
    // the arena; others from the copies. The records are the spilling thread's work per key,
    // done here: it copies a run of records per partition.
    const hash = (): void => {
      if (!sharedArena().hashSplitLines(chunk, job.stride, words)) hashLines({ bytes: Buffer.from(buffers.bytes, 0, chunk.bytes.length), starts, ends, length }, words)
    }
    if (route === undefined) {
      hash()
    } else {
      const records = new Uint32Array(buffers.records)
      const partitionStarts = new Uint32Array(buffers.partitionStarts)
      if (job.stride !== 4 || !sharedArena().routeSplitLines(chunk, route, words, records, partitionStarts)) {
        hash()
        routeRecords(words, length, route, records, partitionStarts)
      }
    }
    post({ stream, buffers, byteLength: chunk.bytes.length, length, recordsOnly: false })
  }
}

// The checked and added streams' scratch: their lines' offsets (a block's are views of the
// arena the hashing reuses) and hashes, grown as chunks need.
let starts = new Uint32Array(0)
let ends = new Uint32Array(0)
let words = new Uint32Array(0)

// The chunk's filter hashes into `words`, hashed where splitting left its lines when it
// can; returns the chunk with its offsets copied to the scratch (hashing lines otherwise
// packs them again in the arena, where a block's offsets are).
function filterHashed (chunk: LineChunk): LineChunk {
  const { length } = chunk
  if (starts.length < length) {
    starts = new Uint32Array(length * 2)
    ends = new Uint32Array(length * 2)
    words = new Uint32Array(length * 4)
  }
  const hashed = sharedArena().hashSplitLines(chunk, 2, words)
  starts.set(chunk.starts.subarray(0, length))
  ends.set(chunk.ends.subarray(0, length))
  const lines = { bytes: chunk.bytes, starts, ends, length }
  if (!hashed) hashLines(lines, words)
  return lines
}

// The filter's share of the key space: only its lines are added and checked.
const route = new PartitionRoute(job.partition ?? WHOLE_KEY_SPACE)

// Lines hashed and added to the filter here, only their counts sent: nothing else of the
// stream crosses to the reader, and no buffer comes back. The filter comes from the reader
// (open); the chunks read before wait for it. The adder finishes once the stream ends, before
// the stream's end is sent: the reader's load of the finished adders pairs with that write.
async function sendAdded (stream: number, files: LineHashJob['streams'][number]): Promise<void> {
  for await (const chunk of chunksOf(stream, files)) {
    const { length } = filterHashed(chunk)
    const inPartition = route.add(await adder, words, 2, length)
    const message: AddedLinesMessage = { stream, length, inPartition, added: true }
    port.postMessage(message)
  }
  ;(await adder).finish()
}

// Lines hashed and checked here (those of the filter's share of the key space), only those
// the filter rejects sent (packed): the reader turns them into keys, and nothing else of the
// stream crosses to it. The filter comes from the reader once its bits are final; the chunks
// read before wait for it.
async function sendChecked (stream: number, files: LineHashJob['streams'][number]): Promise<void> {
  for await (const chunk of chunksOf(stream, files)) {
    const lines = filterHashed(chunk)
    const { length } = lines
    const { rejected: which, length: rejected } = route.reject(await checker, words, 2, length)
    const buffers = await buffersFor({ ...lines, bytes: chunk.bytes.subarray(0, 0), length: 0 }, undefined)
    const packed = { bytes: buffers.bytes, starts: buffers.starts, ends: buffers.ends, length: 0, ascii: true, utf8: true }
    packLines(lines, which, rejected, packed)
    buffers.bytes = packed.bytes
    buffers.starts = packed.starts
    buffers.ends = packed.ends
    const message: CheckedLinesMessage = { stream, buffers, length, rejected, ascii: packed.ascii, utf8: packed.utf8 }
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
