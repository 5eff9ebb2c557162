import { open, type FileHandle } from 'node:fs/promises'
import { SourceError } from '../errors.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import type { KeyRange } from '../contracts/store-driver.ts'
import { fileKeySource } from './file-fence.ts'
import { SortedFileOrderError } from './sorted-file-order-error.ts'
import { assertUnchanged, fileLines, identityChange, lineKeyReader, openUncompressed, type FileIdentity, type LineKey, type SortedFileFormat } from './sorted-file-lines.ts'
import { assertReadable, inputName } from './text-input.ts'

export interface SortedFileSourceOptions extends SortedFileFormat {
  /** The keys to read, `(after, upTo]` of the keys as the file writes them. @default every key */
  range?: KeyRange | undefined
  /**
   * The file as verifySortedFile found it sorted: the read fails (KEYDIFF_SOURCE_FAILED) when
   * the file has another size or modification time as it is opened or once it is read, since
   * its order is then no longer known. @default undefined (the order is trusted, and checked only where read)
   */
  identity?: FileIdentity | undefined
  /** @default `lines:<path>` or `jsonl:<path>` */
  name?: string | undefined
  /** @default undefined */
  estimatedCount?: number | undefined
}

/** Which bytes of its file a range read covered, known once its read ends. */
export interface ByteRangeRead {
  /** The first byte of the first line read. */
  start: number
  /** The byte after the last line of the range (the first line past it, or the file's end). */
  end: number
  /** The file's size. */
  size: number
  /** Keys read (lines of the range that hold one). */
  keys: number
}

/** A source of the keys of one range of a sorted file, and what it read of it. */
export interface SortedFileSource extends KeySource {
  /** Set once a read has ended: the bytes it covered. */
  readonly byteRange: ByteRangeRead | undefined
}

const SEARCH_BYTES = 16 * 1024
const READ_BYTES = 256 * 1024

/**
 * The keys of a sorted file (`lines`, or `jsonl` with a field; keys as written, in UTF-8 byte
 * order, duplicates allowed) that lie in `range`, read by byte range: a binary search over
 * byte offsets finds the first line past `after` (each probe skips to the next line start and
 * reads the key there), the read goes forward from it and stops at the first key past `upTo`.
 * Order is checked as keys are read: a key lower than the one before fails with a
 * SortedFileOrderError naming the byte offset. A gzipped file cannot be read by offset and
 * fails with KEYDIFF_INVALID_OPTION. Lines and keys are as linesSource and jsonLinesSource
 * read them (CRLF accepted, blank lines skipped).
 */
export function sortedFileSource (path: string, options: SortedFileSourceOptions = {}): SortedFileSource {
  if (typeof path !== 'string') throw new TypeError('sortedFileSource: path must be a file path')
  const name = options.name ?? inputName(path, options.format ?? 'lines')
  const keyOf = lineKeyReader(options, 'sortedFileSource')
  const { after, upTo } = options.range ?? {}
  const state: { byteRange: ByteRangeRead | undefined } = { byteRange: undefined }
  const source = fileKeySource(path, async function * () {
    state.byteRange = undefined
    await assertReadable(path, name)
    const file = await open(path, 'r')
    try {
      const opened = await openUncompressed(file, path)
      const change = options.identity === undefined ? undefined : identityChange(options.identity, opened)
      if (change !== undefined) throw new SourceError(name, `${path} changed since its order was verified: ${change}; a run must verify it again`)
      const key = keyReader(keyOf, name)
      const start = after === undefined ? 0 : await firstLinePast(file, opened.size, after, key, name)
      let previous: string | undefined
      let end = opened.size
      let keys = 0
      reading: for await (const lines of fileLines(file, start, opened.size, READ_BYTES, name)) {
        const batch: KeyEntry[] = []
        for (const line of lines) {
          const read = key(line)
          if (read === undefined) continue
          if (previous !== undefined && compareKeys(read, previous) < 0) throw new SortedFileOrderError(name, path, { offset: line.offset }, previous, read)
          if (upTo !== undefined && compareKeys(read, upTo) > 0) {
            end = line.offset
            if (batch.length > 0) yield batch
            break reading
          }
          batch.push({ key: read })
          previous = read
          keys++
        }
        if (batch.length > 0) yield batch
      }
      await assertUnchanged(file, path, name, options.identity ?? opened, options.identity === undefined ? 'while it was read' : 'since its order was verified')
      state.byteRange = { start, end, size: opened.size, keys }
    } finally {
      await file.close()
    }
  }, { name, sorted: true, estimatedCount: options.estimatedCount, supports: { controlCharacters: true } })
  return Object.defineProperty(source, 'byteRange', { get: () => state.byteRange, enumerable: true }) as SortedFileSource
}

/** A line's key, undefined for a blank line; a line without one fails naming its offset. */
function keyReader (keyOf: (text: string) => LineKey, name: string): (line: { offset: number, text: string }) => string | undefined {
  return line => {
    const read = keyOf(line.text)
    if ('key' in read) return read.key
    if ('blank' in read) return undefined
    throw new SourceError(name, `the line at byte ${line.offset}: ${read.problem}`, { code: 'KEYDIFF_PARSE_ERROR' })
  }
}

/**
 * The offset of the first line whose key is past `after` (the file's size when none is): the
 * smallest offset p whose first keyed line at or after the line start at or after p is past
 * `after`. In a sorted file that is monotone in p, so a binary search over bytes finds it.
 */
async function firstLinePast (file: FileHandle, size: number, after: string, key: (line: { offset: number, text: string }) => string | undefined, name: string): Promise<number> {
  let low = 0
  let high = size
  let found = size
  while (low < high) {
    const middle = Math.floor((low + high) / 2)
    const probe = await keyedLineAt(file, middle, size, key, name)
    if (probe.key === undefined || compareKeys(probe.key, after) > 0) {
      high = middle
      found = probe.start
    } else {
      low = middle + 1
    }
  }
  return found
}

/** The first line starting at or after `position`, and the key of the first keyed line from there on (undefined at the end). */
async function keyedLineAt (file: FileHandle, position: number, size: number, key: (line: { offset: number, text: string }) => string | undefined, name: string): Promise<{ start: number, key: string | undefined }> {
  // from the byte before: a newline there makes `position` itself a line start
  let skip = position > 0
  let start = size
  for await (const lines of fileLines(file, position > 0 ? position - 1 : 0, size, SEARCH_BYTES, name)) {
    for (const line of lines) {
      if (skip) {
        skip = false
        continue
      }
      if (start === size) start = line.offset
      const read = key(line)
      if (read !== undefined) return { start, key: read }
    }
  }
  return { start, key: undefined }
}
