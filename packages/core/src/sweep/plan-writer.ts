import { createHash, randomUUID } from 'node:crypto'
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs'
import { mkdir, rename, unlink } from 'node:fs/promises'
import { once } from 'node:events'
import { dirname, resolve } from 'node:path'
import { pipeline } from 'node:stream/promises'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { PlanHeader } from './plan-types.ts'
import { noSpaceAt } from '../spill/disk-full-error.ts'
import { refuseNonFile } from './refuse-non-file.ts'

/** The plan format this keydiff writes and reads. Version 2 added the header's own checksum. */
export const PLAN_VERSION = 2

/** A plan header before it is sealed with its checksum. */
export type PlanHeaderDraft = Omit<PlanHeader, 'checksum'>

/** JSON with every object's keys in sorted order, so the same header always hashes the same. */
function canonicalJson (value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item
    return Object.fromEntries(Object.entries(item).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0))
  })
}

/**
 * The header's SHA-256 (hex) over its canonical JSON without the `checksum` field. The
 * header carries the body's checksum, so this one covers the whole plan: the store it is
 * bound to, the fence, the counts and every entry.
 */
export function headerChecksum (header: PlanHeaderDraft | PlanHeader): string {
  const { checksum: _, ...fields } = header as PlanHeader
  return createHash('sha256').update(canonicalJson(fields)).digest('hex')
}

/** One body line of a plan: the key, and what the fence and the byte counts used. */
export function planLine (entry: KeyEntry): string {
  return JSON.stringify({ key: entry.key, size: entry.size, lastModified: entry.lastModified?.toISOString(), version: entry.version }) + '\n'
}

/**
 * Writes a plan: the body goes to a temporary file while it is hashed, then the header
 * (which carries the body's checksum and is sealed with its own) and the body are written to a second temporary file
 * that is renamed over the destination. A reader never sees a half-written plan.
 */
export class PlanWriter {
  readonly path: string
  private readonly bodyPath: string
  private readonly body: WriteStream
  private readonly hash = createHash('sha256')
  private lines = 0
  private bytes = 0
  private error: Error | undefined

  constructor (path: string) {
    this.path = resolve(path)
    this.bodyPath = `${this.path}.${randomUUID()}.body`
    this.body = createWriteStream(this.bodyPath, { flags: 'wx' })
    this.body.on('error', (error: Error) => { this.error ??= noSpaceAt(error, 'the plan', this.path) })
  }

  static async open (path: string): Promise<PlanWriter> {
    await mkdir(dirname(resolve(path)), { recursive: true })
    await refuseNonFile(path, 'out', 'the plan')
    return new PlanWriter(path)
  }

  async write (entries: readonly KeyEntry[]): Promise<void> {
    if (entries.length === 0) return
    let text = ''
    for (const entry of entries) text += planLine(entry)
    const chunk = Buffer.from(text)
    this.hash.update(chunk)
    this.lines += entries.length
    this.bytes += chunk.length
    if (this.error !== undefined) throw this.error
    if (!this.body.write(chunk)) await once(this.body, 'drain')
    if (this.error !== undefined) throw this.error
  }

  /** The body's line count, size and checksum, for the header. */
  digest (): PlanHeader['body'] {
    return { lines: this.lines, bytes: this.bytes, sha256: this.hash.copy().digest('hex') }
  }

  /** Seals the header with its checksum, writes the plan and returns the header as written. */
  async finish (draft: PlanHeaderDraft): Promise<PlanHeader> {
    await this.closeBody()
    const header: PlanHeader = { ...draft, checksum: headerChecksum(draft) }
    const staging = `${this.path}.${randomUUID()}.tmp`
    try {
      const out = createWriteStream(staging, { flags: 'wx' })
      out.write(JSON.stringify(header) + '\n')
      await pipeline(createReadStream(this.bodyPath), out)
      await rename(staging, this.path)
      return header
    } catch (error) {
      await unlink(staging).catch(() => {})
      throw noSpaceAt(error, 'the plan', this.path)
    } finally {
      await unlink(this.bodyPath).catch(() => {})
    }
  }

  async abort (): Promise<void> {
    await this.closeBody().catch(() => {})
    await unlink(this.bodyPath).catch(() => {})
  }

  private async closeBody (): Promise<void> {
    if (this.error !== undefined) throw this.error
    if (!this.body.writableFinished) {
      this.body.end()
      await once(this.body, 'finish')
    }
    if (this.error !== undefined) throw this.error
  }
}
