import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { diskFullError, isNoSpace } from './disk-full.ts'
import { printable } from './printable.ts'

/** Standard streams and clock of a command, so tests can run commands in-process. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream & AsyncIterable<Buffer>
  stdout: Writable
  stderr: Writable
  /** Whether stderr is a terminal (progress is drawn only there). */
  isTTY: boolean
  /** Whether stdout is a terminal: data written there (keys, one a line) is then escaped. @default false */
  stdoutIsTTY?: boolean
}

export function processIO (): CommandIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true, stdoutIsTTY: process.stdout.isTTY === true }
}

/**
 * A line writer that respects back-pressure and reports write errors (disk full) on close.
 * What it writes to a stream it does not own (stdout, stderr: a person reads it) has its
 * control characters escaped (`printable`); files, and data lines sent down a pipe
 * (`LineWriter.data`), are written exactly.
 */
export class LineWriter {
  private error: Error | undefined
  private readonly escape: boolean
  private readonly path: string | undefined

  constructor (private readonly stream: Writable, private readonly owned: boolean, options: { exact?: boolean, path?: string } = {}) {
    this.escape = options.exact !== true && !owned
    this.path = options.path ?? (owned ? undefined : 'standard output')
    stream.on('error', (error: Error) => { this.fail(error) })
  }

  static toFile (path: string): LineWriter {
    return new LineWriter(createWriteStream(path), true, { path })
  }

  /** Keys, one a line, to stdout: exact down a pipe or into a file, escaped on a terminal (as `ls` does). */
  static data (stream: Writable, terminal: boolean): LineWriter {
    return new LineWriter(stream, false, { exact: !terminal })
  }

  async write (text: string): Promise<void> {
    if (this.error !== undefined) throw this.error
    try {
      if (!this.stream.write(this.escape ? printable(text) : text)) await once(this.stream, 'drain')
    } catch (error) {
      this.fail(error)
    }
    if (this.error !== undefined) throw this.error
  }

  /**
   * Writes UTF-8 text given as its bytes, as `write` writes that text, and returns once the
   * stream is done with them: their memory may then be filled again (a diff's transient parts).
   */
  async writeText (bytes: Uint8Array): Promise<void> {
    if (this.escape) return await this.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    if (this.error !== undefined) throw this.error
    await new Promise<void>(resolve => {
      try {
        this.stream.write(bytes, (error?: Error | null) => {
          if (error !== undefined && error !== null) this.fail(error)
          resolve()
        })
      } catch (error) {
        this.fail(error)
        resolve()
      }
    })
    if (this.error !== undefined) throw this.error
  }

  async close (): Promise<void> {
    if (this.owned) {
      this.stream.end()
      // finished() also settles for a stream that failed before: 'finish' would never come.
      await finished(this.stream).catch((error: unknown) => { this.fail(error) })
    }
    if (this.error !== undefined) throw this.error
  }

  private fail (error: unknown): void {
    this.error ??= this.path !== undefined && isNoSpace(error) ? diskFullError(this.path, error) : error as Error
  }
}
