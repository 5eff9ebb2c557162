import { ParseError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { fileKeySource } from './file-fence.ts'
import { inputName, readLineGroups, stripCR, type TextInput } from './text-input.ts'

export interface JsonLinesSourceOptions {
  /** Field holding the key; a dotted path reaches into nested objects. */
  field: string
  /** Field holding the size in bytes, if any. */
  sizeField?: string
  /** Field holding the last-modified time (ISO string or epoch milliseconds), if any. */
  lastModifiedField?: string
  /** @default `jsonl:<path>` */
  name?: string
  /** @default false */
  sorted?: boolean
  estimatedCount?: number
}

/**
 * Keys from JSON Lines: one object per line, the key in a named field. A line that is not
 * JSON, or whose field is missing or not a string, fails the source naming the line.
 */
export function jsonLinesSource (input: TextInput, options: JsonLinesSourceOptions): KeySource {
  if (typeof options?.field !== 'string' || options.field.length === 0) throw new TypeError('jsonLinesSource: options.field is required')
  const name = options.name ?? inputName(input, 'jsonl')
  const path = options.field.split('.')
  return fileKeySource(input, async function * () {
    for await (const { lines, firstLine } of readLineGroups(input, name)) {
      const batch: KeyEntry[] = []
      for (let i = 0; i < lines.length; i++) {
        const line = stripCR(lines[i] as string)
        if (line.trim().length === 0) continue
        const lineNumber = firstLine + i
        let record: unknown
        try {
          record = JSON.parse(line)
        } catch (error) {
          throw new ParseError(name, lineNumber, `not valid JSON: ${(error as Error).message}`, { cause: error })
        }
        const key = dig(record, path)
        if (typeof key !== 'string') throw new ParseError(name, lineNumber, `field "${options.field}" is ${key === undefined ? 'missing' : `not a string (${typeof key})`}`)
        batch.push(entry(key, record, options, name, lineNumber))
      }
      if (batch.length > 0) yield batch
    }
  }, { name, sorted: options.sorted ?? false, estimatedCount: options.estimatedCount, supports: { sizes: options.sizeField !== undefined, lastModified: options.lastModifiedField !== undefined, controlCharacters: true } })
}

function entry (key: string, record: unknown, options: JsonLinesSourceOptions, name: string, line: number): KeyEntry {
  if (options.sizeField === undefined && options.lastModifiedField === undefined) return { key }
  const size = options.sizeField === undefined ? undefined : dig(record, options.sizeField.split('.'))
  const modified = options.lastModifiedField === undefined ? undefined : dig(record, options.lastModifiedField.split('.'))
  if (size !== undefined && (typeof size !== 'number' || !Number.isFinite(size))) throw new ParseError(name, line, `field "${options.sizeField ?? ''}" is not a number`)
  let lastModified: Date | undefined
  if (modified !== undefined) {
    lastModified = new Date(modified as string | number)
    if (Number.isNaN(lastModified.getTime())) throw new ParseError(name, line, `field "${options.lastModifiedField ?? ''}" is not a date`)
  }
  return { key, size: size as number | undefined, lastModified }
}

function dig (value: unknown, path: readonly string[]): unknown {
  let current = value
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined
    current = (current as Record<string, unknown>)[part]
  }
  return current
}
