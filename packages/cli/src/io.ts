import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Writable } from 'node:stream'

/** Standard streams and clock of a command, so tests can run commands in-process. */
export interface CommandIO {
  stdin: NodeJS.ReadableStream & AsyncIterable<Buffer>
  stdout: Writable
  stderr: Writable
  /** Whether stderr is a terminal (progress is drawn only there). */
  isTTY: boolean
}

export function processIO (): CommandIO {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, isTTY: process.stderr.isTTY === true }
}

/** A line writer that respects back-pressure and reports write errors (disk full) on close. */
export class LineWriter {
  private error: Error | undefined

  constructor (private readonly stream: Writable, private readonly owned: boolean) {
    stream.on('error', (error: Error) => { this.error ??= error })
  }

  static toFile (path: string): LineWriter {
    return new LineWriter(createWriteStream(path), true)
  }

  async write (text: string): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (!this.stream.write(text)) await once(this.stream, 'drain')
    if (this.error !== undefined) throw this.error
  }

  async close (): Promise<void> {
    if (this.owned) {
      this.stream.end()
      if (!this.stream.writableFinished) await once(this.stream, 'finish')
    }
    if (this.error !== undefined) throw this.error
  }
}
