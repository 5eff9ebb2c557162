import type { KeyBatch } from '../keys/key-entry.ts'
import type { DiffPart } from './diff-types.ts'
import { packedText, unpackLines, type PackedLines } from './packed-lines.ts'

/**
 * A part whose keys are lines of a file, held as the lines' bytes: `lines` hands them to a
 * writer of lines as they are, and `entries` are decoded from them only when read (once).
 * Decoding 3.35M orphans' keys and encoding them again on the way out took a fifth of the
 * calling thread's time in a 20M-key diff.
 */
export class PackedLinesPart implements DiffPart {
  readonly lines: Uint8Array | undefined
  /** Entries in the part, known without decoding them. */
  readonly length: number
  #entries: KeyBatch | undefined
  #released = false

  constructor (readonly kind: DiffPart['kind'], private readonly packed: PackedLines) {
    this.lines = packedText(packed)
    this.length = packed.length
  }

  get entries (): KeyBatch {
    if (this.#entries === undefined && this.#released) throw new Error('the keys of a transient diff part were read after the next part was asked for (DiffOptions.transientParts)')
    this.#entries ??= unpackLines(this.packed)
    return this.#entries
  }

  /** The part's memory is to be filled again: its keys can no longer be decoded. */
  release (): void {
    this.#released = true
  }
}

/**
 * Adds a part's entries to `counts`, and their sizes when it counts bytes; a part of packed
 * lines is not decoded for it (lines of a file have no sizes).
 */
export function countPart (counts: { count: number, bytes?: number }, part: DiffPart): void {
  if (part instanceof PackedLinesPart) {
    counts.count += part.length
    return
  }
  counts.count += part.entries.length
  if (counts.bytes !== undefined) for (const entry of part.entries) if (entry.size !== undefined) counts.bytes += entry.size
}
