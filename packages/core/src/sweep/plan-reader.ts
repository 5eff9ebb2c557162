import { createHash, randomUUID } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, unlink } from 'node:fs/promises'
import { basename, join, resolve } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { PlanError } from './plan-error.ts'
import type { PlanHeader } from './plan-types.ts'
import { headerChecksum, PLAN_VERSION } from './plan-writer.ts'
import { noSpaceAt, NoSpaceError } from '../spill/disk-full-error.ts'

/** A plan file whose header and body matched their checksums. */
export interface PlanFile {
  readonly path: string
  readonly header: PlanHeader
  /** The planned entries in batches; the body is hashed again as it is read. */
  batches: (size?: number) => AsyncGenerator<KeyBatch>
}

/**
 * A plan read and verified once into a private copy (mode 0600) that its entries are read
 * from, so that a plan file rewritten while it is applied changes nothing that is acted on.
 */
export interface PlanSnapshot extends PlanFile {
  /** The private copy. */
  readonly copy: string
  /** Removes the private copy; call it when done. */
  remove: () => Promise<void>
}

/**
 * Lines of the file at `path` (named `name` in errors). Each chunk read is passed to `tee`
 * first; the bytes after the first newline (the body) are passed to `hash`.
 */
async function * lines (path: string, name: string, hash: (chunk: Buffer) => void, tee?: (chunk: Buffer) => Promise<void>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8')
  let pending = ''
  let inBody = false
  try {
    for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
      if (tee !== undefined) await tee(chunk)
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
    throw new PlanError(name, `cannot be read: ${code ?? (error as Error).message}`, { cause: error })
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
  if (header.version !== PLAN_VERSION) {
    // A version-1 plan's header was not checksummed and bound no store: nothing in it can be trusted to say where it may act.
    const hint = (header.version as unknown) === 1 ? ': its header is not checksummed and binds no store; make a new plan' : ''
    throw new PlanError(path, `plan version ${JSON.stringify(header.version)} is not supported (this keydiff reads version ${PLAN_VERSION})${hint}`, { line: 1 })
  }
  const body = header.body
  if (body === undefined || body === null || typeof body.sha256 !== 'string' || typeof body.lines !== 'number' || typeof body.bytes !== 'number') {
    throw new PlanError(path, 'the header carries no body checksum', { line: 1 })
  }
  if (typeof header.checksum !== 'string') throw new PlanError(path, 'the header carries no checksum of its own', { line: 1 })
  if (headerChecksum(header as PlanHeader) !== header.checksum) {
    throw new PlanError(path, 'the header does not match its checksum: the plan was edited; make a new one', { line: 1, code: 'KEYDIFF_PLAN_CHECKSUM' })
  }
  if (header.store !== null && typeof header.store !== 'string') throw new PlanError(path, 'the header\'s store is neither a location nor null', { line: 1 })
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

/**
 * Reads the whole file once: the header must match its own checksum, and the body's line
 * count, size and checksum the header's. Every chunk read is passed to `tee` first.
 */
async function verify (path: string, tee?: (chunk: Buffer) => Promise<void>): Promise<PlanHeader> {
  const sha = createHash('sha256')
  let bytes = 0
  let count = 0
  let header: PlanHeader | undefined
  for await (const line of lines(path, path, chunk => { sha.update(chunk); bytes += chunk.length }, tee)) {
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

/** The entries of a verified plan read from `source`, hashed again on the way (errors name `path`). */
function batchesOf (source: string, path: string, header: PlanHeader): PlanFile['batches'] {
  return async function * (size = 1000) {
    const sha = createHash('sha256')
    let number = 0
    let batch: KeyEntry[] = []
    for await (const line of lines(source, path, chunk => sha.update(chunk))) {
      if (++number === 1) continue
      batch.push(parseEntry(path, line, number))
      if (batch.length >= size) {
        yield batch
        batch = []
      }
    }
    if (batch.length > 0) yield batch
    if (sha.digest('hex') !== header.body.sha256) throw new PlanError(path, 'the plan changed while it was being read', { code: 'KEYDIFF_PLAN_CHECKSUM' })
  }
}

/**
 * Opens a plan file and checks it against its checksums before anything is acted on: an
 * edited or truncated plan, header or body, is refused (KEYDIFF_PLAN_CHECKSUM), a file that
 * is not a plan of this version too (KEYDIFF_PLAN_INVALID). The entries are read from the
 * file again; `apply` and `restore` act on a verified private copy instead (snapshotPlan).
 */
export async function readPlan (file: string): Promise<PlanFile> {
  const path = resolve(file)
  const header = await verify(path)
  return { path, header, batches: batchesOf(path, path, header) }
}

/**
 * Reads a plan once, copying it while it is read into a new file of mode 0600 in `directory`,
 * verifies it as readPlan does, and reads its entries from the copy alone: whatever is
 * written to the plan file afterwards is never acted on. The copy is removed on failure and
 * by `remove()`.
 */
export async function snapshotPlan (file: string, directory: string): Promise<PlanSnapshot> {
  const path = resolve(file)
  const dir = resolve(directory)
  await mkdir(dir, { recursive: true })
  const copy = join(dir, `.${basename(path)}.${randomUUID()}.verified`)
  const remove = async (): Promise<void> => { await unlink(copy).catch(() => {}) }
  let header: PlanHeader
  try {
    const handle = await open(copy, 'wx', 0o600)
    try {
      header = await verify(path, async chunk => {
        for (let offset = 0; offset < chunk.length;) offset += (await handle.write(chunk, offset)).bytesWritten
      })
    } finally {
      await handle.close()
    }
  } catch (error) {
    await remove()
    // A full disk under the copy is no fault of the plan: say where the space ran out.
    const cause = error instanceof PlanError ? error.cause : error
    const full = noSpaceAt(cause, 'the verified copy of the plan', copy)
    throw full instanceof NoSpaceError ? full : error
  }
  return { path, copy, header, batches: batchesOf(copy, path, header), remove }
}
