import { createReadStream } from 'node:fs'
import { mkdir, open, type FileHandle } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { ParseError } from '../errors.ts'
import { noSpaceAt } from '../spill/disk-full-error.ts'
import { refuseNonFile } from './refuse-non-file.ts'

/**
 * One line of the audit log; `plan` is always the plan's id (its header checksum). `done`:
 * the sink acted on the key; `failed`: it did not (with the error, after `attempts` tries);
 * `dropped`: a re-check found the key referenced again; `restored`: a restore undid the
 * action. `start` and `end` frame each run: `start` names the store the sink acts on and
 * its trash (`store`, `trash`: locations, or null), `end` the totals and the plan file
 * (`planPath`); `torn` keeps a line that a crash cut short.
 */
export type AuditRecord =
  | { at: string, event: 'start' | 'end', plan: string, action: string, sink: string, [detail: string]: unknown }
  | { at: string, event: 'done' | 'restored', plan: string, action: string, key: string }
  | { at: string, event: 'failed', plan: string, action: string, key: string, error: string, attempts: number }
  | { at: string, event: 'dropped', plan: string, action: string, key: string, referencedBy: string }
  | { at: string, event: 'torn', text: string }

/** What earlier runs of a plan did: the keys acted on and not restored since. */
export interface AuditState {
  done: Set<string>
  /** Keys a restore brought back. */
  restored: Set<string>
  /**
   * For keys in `done`, the trash (a location) the run that did them recorded in its `start`
   * record; keys of runs that recorded none are not in it.
   */
  trash: Map<string, string>
}

const TAIL_BYTES = 1024 * 1024

/**
 * A crash can leave the last line cut short. It is replaced by a `torn` record that keeps
 * its text, so the log stays readable line by line and loses nothing; the keys of that
 * batch are not known to be done and are acted on again, which is harmless.
 */
async function mendTornLine (handle: FileHandle): Promise<void> {
  const { size } = await handle.stat()
  if (size === 0) return
  const length = Math.min(size, TAIL_BYTES)
  const tail = Buffer.alloc(length)
  await handle.read(tail, 0, length, size - length)
  if (tail[length - 1] === 0x0a) return
  const newline = tail.lastIndexOf(0x0a)
  if (newline === -1 && length < size) throw new Error(`the last line of the audit log is longer than ${TAIL_BYTES} bytes`)
  const fragment = tail.subarray(newline + 1).toString('utf8')
  await handle.truncate(size - length + newline + 1)
  await handle.write(JSON.stringify({ at: new Date().toISOString(), event: 'torn', text: fragment }) + '\n')
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
    await refuseNonFile(full, 'audit', 'the audit log')
    const handle = await open(full, 'a+')
    try {
      await mendTornLine(handle)
    } catch (error) {
      await handle.close()
      throw error
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
    try {
      await write
    } catch (error) {
      throw noSpaceAt(error, 'the audit log', this.path)
    }
  }

  async close (): Promise<void> {
    await this.queue
    await this.handle.close()
  }

  /**
   * Reads what earlier runs did with the plan whose id is `plan`, under `action`. A `done`
   * record belongs to the run whose `start` record came last before it (runs under one lock
   * never interleave). A last line cut short by a crash is ignored; any other unreadable
   * line is an error.
   */
  static async state (path: string, plan: string, action: string): Promise<AuditState> {
    const state: AuditState = { done: new Set(), restored: new Set(), trash: new Map() }
    let trash: string | undefined
    const full = resolve(path)
    try {
      let number = 0
      let broken: number | undefined
      for await (const line of createInterface({ input: createReadStream(full), crlfDelay: Infinity })) {
        number++
        if (line.length === 0) continue
        if (broken !== undefined) throw new ParseError(`audit:${full}`, broken, 'not a JSON audit record')
        let record: { plan?: unknown, action?: unknown, key?: unknown, event?: unknown, trash?: unknown }
        try {
          record = JSON.parse(line) as typeof record
        } catch {
          broken = number
          continue
        }
        if (record.plan !== plan || record.action !== action) continue
        if (record.event === 'start') trash = typeof record.trash === 'string' ? record.trash : undefined
        if (typeof record.key !== 'string') continue
        if (record.event === 'done') {
          state.done.add(record.key)
          state.restored.delete(record.key)
          if (trash === undefined) state.trash.delete(record.key)
          else state.trash.set(record.key, trash)
        } else if (record.event === 'restored') {
          state.done.delete(record.key)
          state.restored.add(record.key)
          state.trash.delete(record.key)
        }
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return state
      throw error
    }
    return state
  }
}
