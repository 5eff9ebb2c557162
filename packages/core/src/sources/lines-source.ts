import { closeSync, openSync, readSync, statSync } from 'node:fs'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import { fileKeySource } from './file-fence.ts'
import { inputName, readLineGroups, stripCR, type TextInput } from './text-input.ts'
import { withLineChunks } from '../engine/line-chunks.ts'

export interface LinesSourceOptions {
  /** Name used in errors and reports. @default `lines:<path>` or `lines:stream` */
  name?: string
  /** Declare the file sorted in UTF-8 byte order (checked by the engine). @default false */
  sorted?: boolean
  /** Expected number of keys, to size the Bloom filter. @default undefined (estimated from memory) */
  estimatedCount?: number
}

/**
 * Keys from newline-delimited text: one key per line, every character kept (spaces too),
 * CRLF accepted, blank lines skipped, gzip decompressed transparently.
 */
export function linesSource (input: TextInput, options: LinesSourceOptions = {}): KeySource {
  const name = options.name ?? inputName(input, 'lines')
  // The engine may read a file's lines as bytes (engine/line-chunks.ts): same keys, no strings.
  return withLineChunks(fileKeySource(input, async function * () {
    for await (const { lines } of readLineGroups(input, name)) {
      const batch: KeyEntry[] = []
      for (let i = 0; i < lines.length; i++) {
        const key = stripCR(lines[i] as string)
        if (key.length > 0) batch.push({ key })
      }
      if (batch.length > 0) yield batch
    }
  }, { name, sorted: options.sorted ?? false, estimatedCount: options.estimatedCount ?? estimateLines(input), supports: { controlCharacters: true } }), input)
}

const SAMPLE_BYTES = 64 * 1024

/**
 * Estimates a plain file's line count from its size and the mean line length of its first
 * 64 KiB, so the Bloom filter is sized for the file rather than for the whole budget.
 * Gzip and streams give no estimate.
 */
function estimateLines (input: TextInput): number | undefined {
  if (typeof input !== 'string') return undefined
  try {
    const size = statSync(input).size
    if (size === 0) return 0
    const fd = openSync(input, 'r')
    try {
      const sample = Buffer.alloc(Math.min(SAMPLE_BYTES, size))
      const read = readSync(fd, sample, 0, sample.length, 0)
      if (read >= 2 && sample[0] === 0x1f && sample[1] === 0x8b) return undefined
      let lines = 0
      for (let i = 0; i < read; i++) if (sample[i] === 10) lines++
      return Math.ceil(size / (read / Math.max(1, lines)))
    } finally {
      closeSync(fd)
    }
  } catch {
    return undefined
  }
}
