import { open, stat } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { createGunzip } from 'node:zlib'
import { pipeline, Readable } from 'node:stream'
import { SourceError } from '../errors.ts'

/** A path, or a readable byte stream (read once). */
export type TextInput = string | Readable

const GZIP_MAGIC_0 = 0x1f
const GZIP_MAGIC_1 = 0x8b
const CHUNK_BYTES = 256 * 1024

export function inputName (input: TextInput, kind: string): string {
  return typeof input === 'string' ? `${kind}:${input}` : `${kind}:stream`
}

/** Checks that a path exists and is a file, so a typo fails before any work starts. */
export async function assertReadable (input: TextInput, name: string): Promise<void> {
  if (typeof input !== 'string') return
  try {
    const info = await stat(input)
    if (!info.isFile()) throw new SourceError(name, `${input} is not a file`, { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
  } catch (error) {
    if (error instanceof SourceError) throw error
    throw new SourceError(name, `cannot read ${input}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { code: 'KEYDIFF_SOURCE_NOT_FOUND', cause: error })
  }
}

export interface ReadBytesOptions {
  /** Bytes of a file's reads and of gunzip's output. @default 256 KiB */
  chunkBytes?: number
  /**
   * Read a plain file into three buffers in turn, so that their pages are faulted in once,
   * not once a read (a fresh megabyte a read cost more than the read). A chunk is then valid
   * until the one after the next is asked for. @default false
   */
  reuse?: boolean
}

/**
 * The bytes of a file or stream, gunzipped when they start with gzip's magic bytes (not the
 * file name, so `.gz` files and gzipped standard input both work). A file that changes while
 * it is read fails the read (readFile).
 */
export async function * readBytes (input: TextInput, name: string, options: ReadBytesOptions = {}): AsyncGenerator<Buffer> {
  const chunkBytes = options.chunkBytes ?? CHUNK_BYTES
  const reuse = options.reuse === true && typeof input === 'string'
  await assertReadable(input, name)
  const raw: AsyncIterable<Buffer> = typeof input !== 'string' ? input : readFile(input, name, chunkBytes, reuse)
  const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>
  try {
    let first = await iterator.next()
    while (first.done !== true && first.value.length === 0) first = await iterator.next()
    if (first.done === true) return
    const head: Buffer = first.value
    const replay = async function * (): AsyncGenerator<Buffer> {
      yield head
      yield * { [Symbol.asyncIterator]: () => iterator }
    }
    if (head[0] === GZIP_MAGIC_0 && (head.length < 2 || head[1] === GZIP_MAGIC_1)) {
      const gunzip = createGunzip({ chunkSize: chunkBytes })
      // gunzip reads ahead of what it has inflated: buffers read in turn are copied for it.
      pipeline(Readable.from(reuse ? copies(replay()) : replay()), gunzip, () => {})
      yield * gunzip as AsyncIterable<Buffer>
    } else {
      yield * replay()
    }
  } catch (error) {
    if (error instanceof SourceError) throw error
    throw new SourceError(name, `reading failed: ${(error as Error).message}`, { cause: error })
  } finally {
    // A file's reader is returned, which closes the file: one left at its first chunk was
    // never asked for more, so nothing else would.
    if (typeof input === 'string') await iterator.return?.()
  }
}

/**
 * A file's bytes, the next read under way while a chunk is used, as a stream reads ahead:
 * into a fresh buffer a read, or with `reuse` into three buffers in turn (chunk i is kept
 * while chunk i + 1 is used, and read into again once chunk i + 2 is asked for).
 *
 * The file's size and modification time are taken when it is opened. A read that ends short
 * of that size, or a file whose size or time differ once it has been read to its end, was
 * changed while it was read (truncated, appended to, rewritten): that is a SourceError, as
 * what was read is no snapshot of anything and a plan built on it could delete live data.
 */
async function * readFile (path: string, name: string, chunkBytes: number, reuse: boolean): AsyncGenerator<Buffer> {
  const file = await open(path, 'r')
  const buffers = reuse ? [0, 1, 2].map(() => Buffer.allocUnsafeSlow(chunkBytes)) : []
  const read = (turn: number): Promise<Buffer> => {
    const buffer = reuse ? buffers[turn % 3] as Buffer : Buffer.allocUnsafe(chunkBytes)
    const reading = file.read(buffer, 0, chunkBytes, null).then(result => buffer.subarray(0, result.bytesRead))
    // Awaited when its turn comes: until then a failure is not an unhandled rejection.
    reading.catch(() => {})
    return reading
  }
  let next: Promise<Buffer> | undefined
  try {
    const opened = await file.stat({ bigint: true })
    let total = 0n
    next = read(0)
    for (let turn = 0; ; turn++) {
      const chunk = await next
      next = undefined
      if (chunk.length === 0) break
      total += BigInt(chunk.length)
      next = read(turn + 1)
      yield chunk
    }
    const ended = await file.stat({ bigint: true })
    const change = total < opened.size
      ? `the read ended after ${total} of the ${opened.size} bytes it had when opened`
      : ended.size !== opened.size
        ? `its size went from ${opened.size} to ${ended.size} bytes`
        : ended.mtimeNs !== opened.mtimeNs ? `it was modified (${new Date(Number(ended.mtimeMs)).toISOString()})` : undefined
    if (change !== undefined) throw new SourceError(name, `${path} changed while it was read: ${change}; a plan needs references that hold still`)
  } finally {
    await next?.catch(() => {})
    await file.close()
  }
}

async function * copies (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(chunk)
}

/** Decoded UTF-8 text of a file or stream (readBytes), in chunks. */
export async function * readText (input: TextInput, name: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  for await (const chunk of readBytes(input, name)) {
    const text = decoder.write(chunk)
    if (text.length > 0) yield text
  }
  const tail = decoder.end()
  if (tail.length > 0) yield tail
}

/**
 * Lines of a text input in groups (one group per decoded chunk): CRLF and LF both end a
 * line, a final line needs no terminator. `lineNumber` of a group is that of its first line.
 */
export async function * readLineGroups (input: TextInput, name: string): AsyncGenerator<{ lines: string[], firstLine: number }> {
  let carry = ''
  let lineNumber = 1
  for await (const text of readText(input, name)) {
    const lines = (carry + text).split('\n')
    carry = lines.pop() ?? ''
    if (lines.length === 0) continue
    yield { lines, firstLine: lineNumber }
    lineNumber += lines.length
  }
  if (carry.length > 0) yield { lines: [carry], firstLine: lineNumber }
}

/** Removes the `\r` of a CRLF line ending. */
export function stripCR (line: string): string {
  return line.length > 0 && line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line
}
