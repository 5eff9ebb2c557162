import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { resolve } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { PlanError } from './plan-error.ts'
import type { PlanHeader } from './plan-types.ts'

/** A plan file whose header has been read and whose body matched its checksum. */
export interface PlanFile {
  readonly path: string
  readonly header: PlanHeader
  /** The planned entries in batches; the body is hashed again as it is read. */
  batches: (size?: number) => AsyncGenerator<KeyBatch>
}

/** Lines of a file; the bytes after the first newline (the body) are passed to `hash`. */
async function * lines (path: string, hash: (chunk: Buffer) => void): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let inBody = false
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      let bodyChunk = chunk
      if (!inBody) {
        const newline = chunk.indexOf(0x0a)
        if (newline !== -1) {
          inBody = true
          bodyChunk = chunk.subarray(newline + 1)
        } else {
          bodyChunk = Buffer.alloc(0)
        }
      }
      hash(bodyChunk)
      pending += decoder.write(chunk)
      const parts = pending.split('\n')
      pending = parts.pop() ?? ''
      yield * parts
    }
  } catch (error) {
    if (error instanceof PlanError) throw error
    const code = (error as NodeJS.ErrnoException).code
    throw new PlanError(path, `cannot be read: ${code ?? (error as Error).message}`, { cause: error })
  }
  pending += decoder.end()
  if (pending.length > 0) yield pending
}

function parseHeader (path: string, line: string | undefined): PlanHeader {
  let header: Partial<PlanHeader>
  try {
    header = JSON.parse(line ?? '') as Partial<PlanHeader>
  } catch {
    throw new PlanError(path, 'the first line is not a plan header (JSON)', { line: 1 })
  }
  if (header === null || typeof header !== 'object' || header.keydiff !== 'plan') throw new PlanError(path, 'the first line is not a keydiff plan header', { line: 1 })
  if (header.version !== 1) throw new PlanError(path, `plan version ${JSON.stringify(header.version)} is not supported (this keydiff reads version 1)`, { line: 1 })
  const body = header.body
  if (body === undefined || typeof body.sha256 !== 'string' || typeof body.lines !== 'number' || typeof body.bytes !== 'number') {
    throw new PlanError(path, 'the header carries no body checksum', { line: 1 })
  }
  return header as PlanHeader
}

function parseEntry (path: string, line: string, number: number): KeyEntry {
  let value: { key?: unknown, size?: unknown, lastModified?: unknown, version?: unknown }
  try {
    value = JSON.parse(line) as typeof value
  } catch {
    throw new PlanError(path, 'not a JSON plan entry', { line: number })
  }
  if (value === null || typeof value !== 'object' || typeof value.key !== 'string') throw new PlanError(path, 'a plan entry needs a string key', { line: number })
  const entry: { key: string, size?: number, lastModified?: Date, version?: string } = { key: value.key }
  if (typeof value.size === 'number') entry.size = value.size
  // The store's version (a GCS generation) lets a sink act only on the object that was planned.
  if (typeof value.version === 'string') entry.version = value.version
  if (typeof value.lastModified === 'string') {
    const date = new Date(value.lastModified)
    if (Number.isNaN(date.getTime())) throw new PlanError(path, `lastModified ${JSON.stringify(value.lastModified)} is not a date`, { line: number })
    entry.lastModified = date
  }
  return entry
}

/** Reads the whole file once: the body's line count, size and checksum must match the header. */
async function verify (path: string): Promise<PlanHeader> {
  const sha = createHash('sha256')
  let bytes = 0
  let count = 0
  let header: PlanHeader | undefined
  for await (const line of lines(path, chunk => { sha.update(chunk); bytes += chunk.length })) {
    if (header === undefined) header = parseHeader(path, line)
    else count++
  }
  if (header === undefined) throw new PlanError(path, 'the file is empty', { line: 1 })
  const digest = sha.digest('hex')
  if (count !== header.body.lines || bytes !== header.body.bytes || digest !== header.body.sha256) {
    throw new PlanError(path, `the body does not match the header's checksum (${count} of ${header.body.lines} lines, ${bytes} of ${header.body.bytes} bytes): the plan was truncated or edited; make a new one`, { code: 'KEYDIFF_PLAN_CHECKSUM' })
  }
  return header
}

/**
 * Opens a plan file and checks it against its header's SHA-256 before anything is acted on:
 * an edited or truncated plan is refused (KEYDIFF_PLAN_CHECKSUM), a file that is not a plan
 * too (KEYDIFF_PLAN_INVALID).
 */
export async function readPlan (file: string): Promise<PlanFile> {
  const path = resolve(file)
  const header = await verify(path)
  return {
    path,
    header,
    batches: async function * (size = 1000) {
      const sha = createHash('sha256')
      let number = 0
      let batch: KeyEntry[] = []
      for await (const line of lines(path, chunk => sha.update(chunk))) {
        if (++number === 1) continue
        batch.push(parseEntry(path, line, number))
        if (batch.length >= size) {
          yield batch
          batch = []
        }
      }
      if (batch.length > 0) yield batch
      if (sha.digest('hex') !== header.body.sha256) throw new PlanError(path, 'the plan changed while it was being applied', { code: 'KEYDIFF_PLAN_CHECKSUM' })
    }
  }
}
