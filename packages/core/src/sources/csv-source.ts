import type { Info } from 'csv-parse'
import { ParseError, SourceError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { fileKeySource } from './file-fence.ts'
import { inputName, readText, type TextInput } from './text-input.ts'

export interface CsvSourceOptions {
  /** The key's column: a header name (the first row is then a header) or a 0-based index. */
  column: string | number
  /** Column of the size in bytes, by the same rule as `column`. */
  sizeColumn?: string | number
  /** Column of the last-modified time (ISO 8601 or epoch milliseconds). */
  lastModifiedColumn?: string | number
  /** Whether the first row is a header. @default true when `column` is a name, else false */
  header?: boolean
  /** @default ',' */
  delimiter?: string
  /** @default `csv:<path>` */
  name?: string
  /** @default false */
  sorted?: boolean
  estimatedCount?: number
  /** @default 4096 */
  batchSize?: number
}

/** Keys from one column of a CSV file, quoted per RFC 4180 (parsed by csv-parse). */
export function csvSource (input: TextInput, options: CsvSourceOptions): KeySource {
  if (typeof options?.column !== 'string' && typeof options?.column !== 'number') throw new TypeError('csvSource: options.column is required')
  const name = options.name ?? inputName(input, 'csv')
  const header = options.header ?? typeof options.column === 'string'
  const batchSize = options.batchSize ?? 4096
  return fileKeySource(input, async function * () {
    // Loaded on first read, not at the top: a diff of plain lines skips its 15 ms of start-up.
    const { parse } = await import('csv-parse')
    const parser = parse({ delimiter: options.delimiter ?? ',', info: true, relax_column_count: true, skip_empty_lines: true, bom: true })
    const feed = (async () => {
      try {
        for await (const text of readText(input, name)) {
          if (!parser.write(text)) await new Promise(resolve => parser.once('drain', resolve))
        }
        parser.end()
      } catch (error) {
        parser.destroy(error as Error)
      }
    })()
    let columns: { key: number, size?: number | undefined, lastModified?: number | undefined } | undefined
    let batch: KeyEntry[] = []
    try {
      for await (const row of parser as AsyncIterable<{ record: string[], info: Info }>) {
        const line = row.info.lines
        if (columns === undefined) {
          const headerRow = header ? row.record : undefined
          columns = {
            key: resolveColumn(options.column, headerRow, name, line) as number,
            size: resolveColumn(options.sizeColumn, headerRow, name, line),
            lastModified: resolveColumn(options.lastModifiedColumn, headerRow, name, line)
          }
          if (header) continue
        }
        batch.push(toEntry(row.record, columns, name, line))
        if (batch.length >= batchSize) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
    } catch (error) {
      if (error instanceof SourceError || error instanceof ParseError) throw error
      const line = (error as { lines?: number }).lines ?? 0
      throw new ParseError(name, line, (error as Error).message, { cause: error })
    } finally {
      await feed
    }
  }, { name, sorted: options.sorted ?? false, estimatedCount: options.estimatedCount, supports: { sizes: options.sizeColumn !== undefined, lastModified: options.lastModifiedColumn !== undefined, controlCharacters: true } })
}

function resolveColumn (column: string | number | undefined, header: string[] | undefined, name: string, line: number): number | undefined {
  if (column === undefined) return undefined
  if (typeof column === 'number') {
    if (!Number.isInteger(column) || column < 0) throw new TypeError(`csvSource: column ${column} is not a 0-based index`)
    return column
  }
  if (header === undefined) throw new TypeError(`csvSource: column "${column}" is a name, so the file needs a header (header: true)`)
  const index = header.indexOf(column)
  if (index < 0) throw new ParseError(name, line, `header has no column "${column}" (columns: ${header.join(', ')})`)
  return index
}

function toEntry (record: string[], columns: { key: number, size?: number | undefined, lastModified?: number | undefined }, name: string, line: number): KeyEntry {
  const key = record[columns.key]
  if (key === undefined) throw new ParseError(name, line, `row has no column ${columns.key}`)
  if (columns.size === undefined && columns.lastModified === undefined) return { key }
  let size: number | undefined
  if (columns.size !== undefined) {
    size = Number(record[columns.size])
    if (!Number.isFinite(size)) throw new ParseError(name, line, `size column is not a number: ${JSON.stringify(record[columns.size])}`)
  }
  let lastModified: Date | undefined
  if (columns.lastModified !== undefined) {
    const raw = record[columns.lastModified] ?? ''
    lastModified = new Date(/^\d+$/.test(raw) ? Number(raw) : raw)
    if (Number.isNaN(lastModified.getTime())) throw new ParseError(name, line, `last-modified column is not a date: ${JSON.stringify(raw)}`)
  }
  return { key, size, lastModified }
}
