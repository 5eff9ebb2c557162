import { open } from 'node:fs/promises'
import { AbortError, ParseError } from '../errors.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import { mayResolveElsewhere } from '../location/may-resolve-elsewhere.ts'
import { SortedFileOrderError } from './sorted-file-order-error.ts'
import { assertUnchanged, fileLines, lineKeyReader, openUncompressed, type FileIdentity, type SortedFileFormat } from './sorted-file-lines.ts'
import { assertReadable, inputName } from './text-input.ts'

export interface VerifySortedFileOptions extends SortedFileFormat {
  /**
   * Keys that may stand for another key than their text (under the caller's mapping), which a
   * reader of one range would miss: counted, never refused. @default core's mayResolveElsewhere of the key as written
   */
  mayResolveElsewhere?: ((key: string) => boolean) | undefined
  /** @default `lines:<path>` or `jsonl:<path>` */
  name?: string | undefined
  /** Stops the check between reads (KEYDIFF_ABORTED). @default none */
  signal?: AbortSignal | undefined
}

/** A file found sorted, as it was when it was read. */
export interface SortedFileCheck {
  /** Its size and modification time: what sortedFileSource's `identity` checks. */
  identity: FileIdentity
  /** Lines holding a key. */
  keys: number
  /** Keys for which `mayResolveElsewhere` held. */
  resolvingElsewhere: number
  /** The first of them, when there is one. */
  firstResolvingElsewhere: { line: number, key: string } | undefined
}

const READ_BYTES = 1024 * 1024

/**
 * Reads a file once, from start to end, and checks that its keys are in UTF-8 byte order
 * (duplicates allowed), as sortedFileSource reads them: the first key lower than the one
 * before fails with a SortedFileOrderError naming both lines and keys; a line without a key
 * fails with a ParseError naming it; a gzipped file fails with KEYDIFF_INVALID_OPTION; a file
 * that changes while it is read fails with KEYDIFF_SOURCE_FAILED.
 */
export async function verifySortedFile (path: string, options: VerifySortedFileOptions = {}): Promise<SortedFileCheck> {
  const name = options.name ?? inputName(path, options.format ?? 'lines')
  const keyOf = lineKeyReader(options, 'verifySortedFile')
  const matters = options.mayResolveElsewhere ?? mayResolveElsewhere
  await assertReadable(path, name)
  const file = await open(path, 'r')
  try {
    const identity = await openUncompressed(file, path)
    let lineNumber = 0
    let previous: { key: string, line: number } | undefined
    let keys = 0
    let resolvingElsewhere = 0
    let firstResolvingElsewhere: SortedFileCheck['firstResolvingElsewhere']
    for await (const lines of fileLines(file, 0, identity.size, READ_BYTES, name)) {
      if (options.signal?.aborted === true) throw new AbortError(`${name}: the order check was stopped`, { cause: options.signal.reason })
      for (const line of lines) {
        lineNumber++
        const read = keyOf(line.text)
        if ('blank' in read) continue
        if ('problem' in read) throw new ParseError(name, lineNumber, read.problem)
        const key = read.key
        if (previous !== undefined && compareKeys(key, previous.key) < 0) {
          throw new SortedFileOrderError(name, path, { offset: line.offset, line: lineNumber, previousLine: previous.line }, previous.key, key)
        }
        previous = { key, line: lineNumber }
        keys++
        if (matters(key)) {
          resolvingElsewhere++
          firstResolvingElsewhere ??= { line: lineNumber, key }
        }
      }
    }
    await assertUnchanged(file, path, name, identity, 'while its order was checked')
    return { identity, keys, resolvingElsewhere, firstResolvingElsewhere }
  } finally {
    await file.close()
  }
}
