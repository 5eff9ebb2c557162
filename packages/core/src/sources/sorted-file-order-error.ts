import { brandError, NotSortedError } from '../errors.ts'

/**
 * A file declared sorted holds a key lower than the one before it (KEYDIFF_NOT_SORTED, as
 * checkOrder's NotSortedError): names the file, the line (its number when the file was read
 * from its start) and its byte offset, and both keys.
 */
export class SortedFileOrderError extends NotSortedError {
  static {
    brandError(this, 'keydiff.error.SortedFileOrderError')
  }

  /** The file's path. */
  readonly path: string
  /** The first byte of the out-of-order line. */
  readonly offset: number
  /** The out-of-order line's number, from 1; undefined when the read started inside the file. */
  readonly line: number | undefined
  /** The line of the key before it; undefined when the read started inside the file. */
  readonly previousLine: number | undefined

  constructor (source: string, path: string, at: { offset: number, line?: number | undefined, previousLine?: number | undefined }, previous: string, key: string) {
    super(source, previous, key)
    const where = at.line === undefined ? `the line at byte ${at.offset}` : `line ${at.line} (byte ${at.offset})`
    const before = at.previousLine === undefined ? JSON.stringify(previous) : `${JSON.stringify(previous)} (line ${at.previousLine})`
    this.message = `[keydiff] ${source}: ${path} is declared sorted, but ${where} holds ${JSON.stringify(key)}, lower than ${before} before it in UTF-8 byte order; sort it with LC_ALL=C sort, or leave out sorted`
    this.name = 'SortedFileOrderError'
    this.path = path
    this.offset = at.offset
    this.line = at.line
    this.previousLine = at.previousLine
  }
}
