import { isUtf8 } from 'node:buffer'
import { sharedArena } from '../bloom/wasm-arena.ts'
import { LINE_CHUNKS, type KeySource, type LineChunk } from '../contracts/key-source.ts'
import { markFileFence } from '../sources/file-fence.ts'
import { readBytes } from '../sources/text-input.ts'

/** Line i of a chunk as a string (an orphan's key: the only lines ever decoded). */
export function lineText (chunk: LineChunk, i: number): string {
  return chunk.bytes.toString('utf8', chunk.starts[i], chunk.ends[i])
}

/** A file that a lines source reads, and the source's name for errors. */
export interface LineFile {
  readonly path: string
  readonly name: string
}

/**
 * The capability a lines source of files carries beside LINE_CHUNKS: the files it would read
 * in order, so that another thread can read them (engine/line-hash-thread.ts). Calling it
 * starts the source's scan, as calling LINE_CHUNKS does.
 */
export const LINE_FILES = Symbol.for('keydiff.lineFiles')

type WithLineFiles = { [LINE_FILES]?: () => LineFile[] }

const READ_BYTES = 1024 * 1024

/**
 * Lets the engine read a lines source that reads a file as byte chunks: keys are then hashed
 * straight from the read buffer and only orphans become strings. The keys are the same as
 * the source's own (LF or CRLF endings, blank lines skipped, gzip, invalid UTF-8 replaced).
 */
export function withLineChunks<T extends KeySource> (source: T, input: unknown): T {
  if (typeof input !== 'string') return source
  const chunks = (): AsyncIterable<LineChunk> => {
    markFileFence(source, input)
    return readLineChunks(input, source.name)
  }
  const files = (): LineFile[] => {
    markFileFence(source, input)
    return [{ path: input, name: source.name }]
  }
  return Object.assign(source, { [LINE_CHUNKS]: chunks, [LINE_FILES]: files })
}

/** The byte-chunk reader of a source, when it has one. */
export function lineChunksOf (source: KeySource): (() => AsyncIterable<LineChunk>) | undefined {
  return source[LINE_CHUNKS]
}

/** The files of a lines source, when it reads files. */
export function lineFilesOf (source: KeySource): (() => LineFile[]) | undefined {
  return (source as WithLineFiles)[LINE_FILES]
}

/**
 * The lines of a file (readBytes: gzip allowed) as byte chunks of about a megabyte, each
 * ending at a line end. A plain file is read in turn (ReadBytesOptions.reuse), so a chunk's
 * bytes are valid until the next chunk is asked for.
 */
export async function * readLineChunks (path: string, name: string): AsyncGenerator<LineChunk> {
  // Only the partial line between two reads is copied; whole lines are split where they lie.
  // A carry is a view of the previous read, which a reader in turn keeps until the next.
  let carry: Buffer | undefined
  for await (const chunk of readBytes(path, name, { chunkBytes: READ_BYTES, reuse: true })) {
    let from = 0
    if (carry !== undefined) {
      const first = chunk.indexOf(10)
      if (first < 0) {
        carry = Buffer.concat([carry, chunk])
        continue
      }
      const joined = splitLines(Buffer.concat([carry, chunk.subarray(0, first + 1)]))
      if (joined.length > 0) yield joined
      carry = undefined
      from = first + 1
    }
    const last = chunk.lastIndexOf(10)
    if (last < from) {
      carry = chunk.subarray(from)
      continue
    }
    if (last + 1 < chunk.length) carry = chunk.subarray(last + 1)
    const lines = splitLines(chunk.subarray(from, last + 1))
    if (lines.length > 0) yield lines
  }
  if (carry !== undefined) {
    const lines = splitLines(carry)
    if (lines.length > 0) yield lines
  }
}

// Regions up to this size are split in WebAssembly (copied there first); a longer one, which
// only a line of many megabytes makes, is scanned where it lies.
const WASM_SPLIT_MAX = 64 * 1024 * 1024

/**
 * Splits whole lines (a region that ends at a line end, or the file's last line). A region
 * that is not valid UTF-8 is decoded and encoded again first, so that its keys are the same
 * U+FFFD-replaced strings that the text reader makes ("\n" never occurs inside a sequence).
 * With `views` the chunk's starts and ends are valid only until the next use of the shared
 * arena (WasmArena.splitLines).
 */
export function splitLines (region: Buffer, views = false): LineChunk {
  const bytes = isUtf8(region) ? region : Buffer.from(region.toString('utf8'))
  if (bytes.length > WASM_SPLIT_MAX) return scanLines(bytes)
  return { bytes, ...sharedArena().splitLines(bytes, views) }
}

/**
 * splitLines(region, true) of the first `length` bytes read into the shared arena where
 * splitting puts them (WasmArena.fillable): split where they lie, with no copy, when they are
 * valid UTF-8; the chunk's bytes are then a view of the arena too. A region too long to split
 * there is copied out first: its lines would be packed into the arena to be hashed, over it.
 */
export function splitFilled (length: number): LineChunk {
  const arena = sharedArena()
  const filled = arena.filled(length)
  if (length > WASM_SPLIT_MAX) return splitLines(Buffer.from(filled), true)
  if (!isUtf8(filled)) return splitLines(filled, true)
  // Room for the split may grow the memory: the bytes are taken after it.
  const split = arena.splitFilled(length, true)
  return { bytes: arena.filled(length), ...split }
}

/** The lines of `bytes` as splitLines finds them, by one `indexOf` a line. */
export function scanLines (bytes: Buffer): LineChunk {
  let starts = new Uint32Array((bytes.length >>> 5) + 16)
  let ends = new Uint32Array(starts.length)
  let n = 0
  let start = 0
  const length = bytes.length
  while (start < length) {
    let next = bytes.indexOf(10, start)
    if (next < 0) next = length
    let end = next
    if (end > start && bytes[end - 1] === 13) end--
    if (end > start) {
      if (n === starts.length) {
        const bigger = new Uint32Array(n * 2)
        bigger.set(starts)
        starts = bigger
        const biggerEnds = new Uint32Array(n * 2)
        biggerEnds.set(ends)
        ends = biggerEnds
      }
      starts[n] = start
      ends[n] = end
      n++
    }
    start = next + 1
  }
  return { bytes, starts, ends, length: n }
}
