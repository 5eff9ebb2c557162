import { createReadStream } from 'node:fs'
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { ParseError } from '../errors.ts'

/**
 * One line of the audit log. `done`: the sink acted on the key; `failed`: it did not (with
 * the error, after `attempts` tries); `dropped`: a re-check found the key referenced again;
 * `restored`: a restore undid the action. `start` and `end` frame each run.
 */
export type AuditRecord =
  | { at: string, event: 'start' | 'end', plan: string, action: string, sink: string, [detail: string]: unknown }
  | { at: string, event: 'done' | 'restored', plan: string, action: string, key: string }
  | { at: string, event: 'failed', plan: string, action: string, key: string, error: string, attempts: number }
  | { at: string, event: 'dropped', plan: string, action: string, key: string, referencedBy: string }

/** What earlier runs of a plan did: the keys acted on and not restored since. */
export interface AuditState {
  done: Set<string>
  /** Keys a restore brought back. */
  restored: Set<string>
}

/**
 * The JSON Lines audit log of a plan: every outcome is appended and flushed to disk per
 * batch, so a crash loses at most the batch in flight, and re-running the plan skips what
 * the log says is done.
 */
export class AuditLog {
  private queue: Promise<void> = Promise.resolve()

  private constructor (readonly path: string, private readonly handle: FileHandle) {}

  static async open (path: string): Promise<AuditLog> {
    const full = resolve(path)
    await mkdir(dirname(full), { recursive: true })
    const handle = await open(full, 'a+')
    const { size } = await handle.stat()
    if (size > 0) {
      const last = Buffer.alloc(1)
      await handle.read(last, 0, 1, size - 1)
      // a line cut short by a crash must not swallow the next record
      if (last[0] !== 0x0a) await handle.write('\n')
    }
    return new AuditLog(full, handle)
  }

  /** Appends records in order; writes never interleave. */
  async append (records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return
    let text = ''
    for (const record of records) text += JSON.stringify(record) + '\n'
    const write = this.queue.then(async () => {
      await this.handle.write(text)
      await this.handle.datasync()
    })
    this.queue = write.catch(() => {})
    await write
  }

  async close (): Promise<void> {
    await this.queue
    await this.handle.close()
  }

  /**
   * Reads what earlier runs did with the plan whose body checksum is `plan`, under `action`.
   * A last line cut short by a crash is ignored; any other unreadable line is an error.
   */
  static async state (path: string, plan: string, action: string): Promise<AuditState> {
    const state: AuditState = { done: new Set(), restored: new Set() }
    const full = resolve(path)
    try {
      let number = 0
      let broken: number | undefined
      for await (const line of createInterface({ input: createReadStream(full), crlfDelay: Infinity })) {
        number++
        if (line.length === 0) continue
        if (broken !== undefined) throw new ParseError(`audit:${full}`, broken, 'not a JSON audit record')
        let record: Partial<AuditRecord> & { key?: string }
        try {
          record = JSON.parse(line) as typeof record
        } catch {
          broken = number
          continue
        }
        if (record.plan !== plan || record.action !== action || typeof record.key !== 'string') continue
        if (record.event === 'done') {
          state.done.add(record.key)
          state.restored.delete(record.key)
        } else if (record.event === 'restored') {
          state.done.delete(record.key)
          state.restored.add(record.key)
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state
      throw error
    }
    return state
  }
}
