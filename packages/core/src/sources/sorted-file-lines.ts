import type { FileHandle } from 'node:fs/promises'
import { InvalidOptionError, SourceError } from '../errors.ts'
import { stripCR } from './text-input.ts'

/**
 * What a file was when its order was verified: a reader by byte range trusts the order only
 * while the file still has this size and modification time.
 */
export interface FileIdentity {
  readonly size: number
  readonly mtimeMs: number
}

/** How a sorted file holds its keys: one a line (`lines`), or in a field of JSON Lines (`jsonl`). */
export interface SortedFileFormat {
  /** @default 'lines' */
  format?: 'lines' | 'jsonl' | undefined
  /** The field holding the key in `jsonl`; a dotted path reaches into nested objects. Required for `jsonl`. */
  field?: string | undefined
}

/** A line of a file: its first byte's offset and its text, the newline left out. */
export interface FileLine {
  readonly offset: number
  readonly text: string
}

/** A line's key, nothing for a blank line, or what is wrong with it. */
export type LineKey = { key: string } | { blank: true } | { problem: string }

/**
 * Reads a line's key as linesSource (CR of CRLF removed, an empty line skipped) or
 * jsonLinesSource (a blank line skipped; the field must hold a string) read it.
 */
export function lineKeyReader (options: SortedFileFormat, caller: string): (text: string) => LineKey {
  if (options.format === 'jsonl') {
    if (typeof options.field !== 'string' || options.field.length === 0) throw new TypeError(`${caller}: options.field is required for jsonl`)
    const field = options.field
    const path = field.split('.')
    return text => {
      const line = stripCR(text)
      if (line.trim().length === 0) return { blank: true }
      let record: unknown
      try {
        record = JSON.parse(line)
      } catch (error) {
        return { problem: `not valid JSON: ${(error as Error).message}` }
      }
      let value = record
      for (const part of path) value = value === null || typeof value !== 'object' ? undefined : (value as Record<string, unknown>)[part]
      if (typeof value !== 'string') return { problem: `field "${field}" is ${value === undefined ? 'missing' : `not a string (${typeof value})`}` }
      return { key: value }
    }
  }
  if (options.format !== undefined && options.format !== 'lines') throw new TypeError(`${caller}: format must be lines or jsonl, not ${JSON.stringify(options.format)}`)
  return text => {
    const key = stripCR(text)
    return key.length === 0 ? { blank: true } : { key }
  }
}

/** Opens a file for reading by offset: its identity, refused when gzipped (no offset of a compressed file starts a line). */
export async function openUncompressed (file: FileHandle, path: string): Promise<FileIdentity> {
  const stat = await file.stat()
  if (stat.size >= 2) {
    const head = Buffer.alloc(2)
    await file.read(head, 0, 2, 0)
    if (head[0] === 0x1f && head[1] === 0x8b) throw new InvalidOptionError('sorted', `${path} is gzipped: a compressed file cannot be read by byte range; decompress it or leave out sorted`)
  }
  return { size: stat.size, mtimeMs: stat.mtimeMs }
}

/** What changed between two identities of a file, or undefined when none did. */
export function identityChange (was: FileIdentity, now: FileIdentity): string | undefined {
  if (was.size !== now.size) return `its size went from ${was.size} to ${now.size} bytes`
  if (was.mtimeMs !== now.mtimeMs) return `it was modified (${new Date(now.mtimeMs).toISOString()}, not ${new Date(was.mtimeMs).toISOString()})`
  return undefined
}

/** Fails when the file no longer has the identity `was`: `when` says which moment that is. */
export async function assertUnchanged (file: FileHandle, path: string, name: string, was: FileIdentity, since: string): Promise<void> {
  const stat = await file.stat()
  const change = identityChange(was, { size: stat.size, mtimeMs: stat.mtimeMs })
  if (change !== undefined) throw new SourceError(name, `${path} changed ${since}: ${change}; a plan needs references that hold still`)
}

/**
 * The lines of a file from byte `from` up to byte `end`, in groups (one a read), each with
 * its offset; a last line without a newline is a line. A read that ends before `end` means the
 * file was cut short under the reader.
 */
export async function * fileLines (file: FileHandle, from: number, end: number, chunkBytes: number, name: string): AsyncGenerator<FileLine[]> {
  let position = from
  let carry: Buffer | undefined
  let carryOffset = from
  while (position < end) {
    const buffer = Buffer.allocUnsafe(Math.min(chunkBytes, end - position))
    const { bytesRead } = await file.read(buffer, 0, buffer.length, position)
    if (bytesRead === 0) throw new SourceError(name, `the file ended at byte ${position}, before the ${end} bytes it had when opened: it was cut short while it was read`)
    const read = buffer.subarray(0, bytesRead)
    const chunk = carry === undefined ? read : Buffer.concat([carry, read])
    const chunkOffset = carry === undefined ? position : carryOffset
    position += bytesRead
    const lines: FileLine[] = []
    let start = 0
    for (let newline = chunk.indexOf(10, start); newline !== -1; newline = chunk.indexOf(10, start)) {
      lines.push({ offset: chunkOffset + start, text: chunk.toString('utf8', start, newline) })
      start = newline + 1
    }
    carry = start < chunk.length ? chunk.subarray(start) : undefined
    carryOffset = chunkOffset + start
    if (lines.length > 0) yield lines
  }
  if (carry !== undefined) yield [{ offset: carryOffset, text: carry.toString('utf8') }]
}
