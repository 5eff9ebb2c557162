import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'

/**
 * The `start` and `end` records of an audit log: where each run acted and what it totalled.
 * An `end` record gets the `run` (`apply` or `restore`) of the `start` before it of the same
 * plan, as it does not name its own.
 */
export interface AuditFrames {
  starts: Array<Record<string, unknown>>
  ends: Array<Record<string, unknown>>
}

/**
 * Reads the frames of an audit log, skipping its per-key lines without parsing them (a log
 * holds a line per key). A missing log has no frames; a torn or foreign line is skipped, as
 * the report only describes what the log can show.
 */
export async function readAuditFrames (path: string): Promise<AuditFrames> {
  const frames: AuditFrames = { starts: [], ends: [] }
  const stream = createReadStream(path, { encoding: 'utf8' })
  const opened = await new Promise<boolean>((resolve, reject) => {
    stream.once('open', () => { resolve(true) })
    stream.once('error', (error: NodeJS.ErrnoException) => { if (error.code === 'ENOENT') resolve(false); else reject(error) })
  })
  if (!opened) return frames
  const runs = new Map<unknown, string>()
  for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
    const event = /^\{"at":"[^"]*","event":"(start|end)"/.exec(line)?.[1]
    if (event === undefined) continue
    let record: unknown
    try { record = JSON.parse(line) } catch { continue }
    if (record === null || typeof record !== 'object') continue
    const frame = record as Record<string, unknown>
    if (event === 'start') {
      frames.starts.push(frame)
      if (typeof frame.run === 'string') runs.set(frame.plan, frame.run)
    } else {
      frames.ends.push({ run: runs.get(frame.plan), ...frame })
    }
  }
  return frames
}

/** The trashes the apply runs of a plan (by its id) recorded in their `start` records, latest first. */
export function recordedTrashes (frames: AuditFrames, planId: string): string[] {
  const trashes = frames.starts
    .filter(record => record.plan === planId && record.run !== 'restore' && typeof record.trash === 'string')
    .map(record => record.trash as string)
    .reverse()
  return [...new Set(trashes)]
}
