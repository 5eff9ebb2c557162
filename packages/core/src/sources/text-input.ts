import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
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

/**
 * The bytes of a file or stream, gunzipped when they start with gzip's magic bytes (not the
 * file name, so `.gz` files and gzipped standard input both work). `chunkBytes` sizes a file's
 * reads and gunzip's output.
 */
export async function * readBytes (input: TextInput, name: string, chunkBytes = CHUNK_BYTES): AsyncGenerator<Buffer> {
  await assertReadable(input, name)
  const raw: Readable = typeof input === 'string' ? createReadStream(input, { highWaterMark: chunkBytes }) : input
  try {
    const iterator = raw[Symbol.asyncIterator]() as AsyncIterator<Buffer>
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
      pipeline(Readable.from(replay()), gunzip, () => {})
      yield * gunzip as AsyncIterable<Buffer>
    } else {
      yield * replay()
    }
  } catch (error) {
    if (error instanceof SourceError) throw error
    throw new SourceError(name, `reading failed: ${(error as Error).message}`, { cause: error })
  } finally {
    if (typeof input === 'string') raw.destroy()
  }
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
