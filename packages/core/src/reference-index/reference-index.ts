import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { InvalidOptionError, asSourceError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource, type KeySource, type KeySourceLike } from '../keys/key-source.ts'
import { insertHashed } from '../engine/filter-hashes.ts'
import { LineHasher } from '../engine/line-batch.ts'
import { lineChunksOf } from '../engine/line-chunks.ts'
import { EntryBatch, type HashedBatch } from '../spill/hashed-batch.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import { IndexVersionError } from './index-version-error.ts'
import { INDEX_FORMAT, INDEX_VERSION, META_KEY, blindValue, decodeIds, decodeKey, distinctOrder, encodeValue, fingerprintOrder, referenceKey, referenceKeys, type IndexMeta } from './index-layout.ts'

type Db = ClassicLevel<Buffer, Buffer>

export interface ReferenceIndexOptions {
  /** Make the index when the directory holds none. @default false */
  create?: boolean
  /** References expected over the index's life, to size its Bloom filter. @default the first source's estimate, else 10 million */
  expectedCount?: number
  /** Target false-positive rate of the filter. @default 0.01 */
  falsePositiveRate?: number
}

export interface IndexUpdateOptions {
  /** The name the references are recorded under (`index why` shows it). @default the source's name */
  source?: string
  signal?: AbortSignal
}

// Measured: LevelDB takes sorted runs in large batches fastest from Node.
const CHUNK = 65536
const DEFAULT_EXPECTED = 10_000_000
const SCAN_CHUNK = 8192
// Larger than LevelDB's defaults (4 MiB, 2 MiB): fewer level-0 files and compactions while
// fingerprints arrive in random order (measured at 2M references).
const WRITE_BUFFER = 32 * 1024 * 1024
const TABLE_FILE = 16 * 1024 * 1024

/**
 * A kept reference index in LevelDB (classic-level): the references' fingerprints with which
 * source named each key, a Bloom filter beside them (`filter.sbbf`) and when each source's
 * scan started. Build it once, diff against it as often as needed, add and remove sources.
 */
export class ReferenceIndex {
  private constructor (readonly directory: string, private readonly db: Db, public meta: IndexMeta, readonly filter: SplitBlockBloomFilter) {}

  static async open (directory: string, options: ReferenceIndexOptions = {}): Promise<ReferenceIndex> {
    const location = join(directory, 'db')
    if (!existsSync(location) && options.create !== true) throw new IndexVersionError(directory, 'no reference index here; build one with `keydiff index build`')
    await mkdir(directory, { recursive: true })
    const db: Db = new ClassicLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: WRITE_BUFFER, maxFileSize: TABLE_FILE })
    try {
      await db.open()
      const raw = await db.get(META_KEY)
      let meta: IndexMeta
      if (raw === undefined) {
        meta = { format: INDEX_FORMAT, version: INDEX_VERSION, sources: [], count: 0, createdAt: new Date().toISOString() }
      } else {
        meta = JSON.parse(raw.toString('utf8')) as IndexMeta
        if (meta.format !== INDEX_FORMAT || meta.version !== INDEX_VERSION) throw new IndexVersionError(directory, `format ${String(meta.format)} version ${String(meta.version)} cannot be read by this keydiff (it reads ${INDEX_FORMAT} version ${INDEX_VERSION}); rebuild the index`)
      }
      const filterPath = join(directory, 'filter.sbbf')
      const filter = existsSync(filterPath)
        ? await SplitBlockBloomFilter.load(filterPath)
        : SplitBlockBloomFilter.create({ expectedCount: options.expectedCount ?? DEFAULT_EXPECTED, falsePositiveRate: options.falsePositiveRate ?? 0.01 })
      return new ReferenceIndex(directory, db, meta, filter)
    } catch (error) {
      await db.close()
      if (error instanceof IndexVersionError) throw error
      if ((error as { code?: string }).code === 'LEVEL_DATABASE_NOT_OPEN') throw new IndexVersionError(directory, `cannot open (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`, { cause: error })
      throw error
    }
  }

  /** Deletes an index directory. */
  static async drop (directory: string): Promise<void> {
    if (!existsSync(join(directory, 'db'))) throw new IndexVersionError(directory, 'no reference index here to drop')
    await rm(directory, { recursive: true, force: true })
  }

  /** The earliest scan start of the sources in the index: the sweep's time fence. */
  get scanStartedAt (): string | undefined {
    return this.meta.sources.map(source => source.scanStartedAt).sort()[0]
  }

  /** Adds a source's references, recorded under its name. */
  async add (references: KeySourceLike, options: IndexUpdateOptions = {}): Promise<{ references: number }> {
    const source = toKeySource(references, 'references')
    const name = options.source ?? source.name
    let id = this.meta.sources.findIndex(info => info.name === name)
    if (id < 0) id = this.meta.sources.push({ name, scanStartedAt: new Date().toISOString() }) - 1
    if (id > 0xffff) throw new InvalidOptionError('source', 'an index holds at most 65536 sources')
    // A fresh index with one source needs no read before a write.
    const blind = this.meta.count === 0 && this.meta.sources.length === 1
    let seen = 0
    await this.chunks(source, name, options.signal, async batch => {
      const n = batch.length
      const words = batch.words
      seen += n
      insertHashed(this.filter, batch)
      const order = distinctOrder(words, n)
      const keys = referenceKeys(words, order)
      if (blind) {
        this.meta.count += order.length
        await this.db.batch(keys.map((key, k) => ({ type: 'put' as const, key, value: blindValue(batch, order[k] as number, id) })))
        return
      }
      const existing = await this.db.getMany(keys)
      const ops: Array<{ type: 'put', key: Buffer, value: Buffer }> = []
      keys.forEach((key, k) => {
        const old = existing[k]
        const ids = old === undefined ? [] : decodeIds(old)
        if (old === undefined) this.meta.count++
        if (ids.includes(id)) return
        ops.push({ type: 'put', key, value: encodeValue([...ids, id], batch.entry(order[k] as number).key) })
      })
      await this.db.batch(ops)
    })
    // A blind build de-duplicates within each chunk only; a key repeated in another chunk was
    // counted twice, so the count is taken from the index itself.
    if (blind) {
      let count = 0
      for await (const { length } of this.fingerprints(options.signal)) count += length
      this.meta.count = count
    }
    const info = this.meta.sources[id]
    if (info !== undefined && source.scanStartedAt !== undefined) info.scanStartedAt = source.scanStartedAt.toISOString()
    await this.saveMeta()
    return { references: seen }
  }

  /** Removes a source's claim on the given keys; a key no source claims any more is deleted. */
  async remove (references: KeySourceLike, options: IndexUpdateOptions = {}): Promise<{ removed: number }> {
    const source = toKeySource(references, 'references')
    const name = options.source ?? source.name
    const id = this.meta.sources.findIndex(info => info.name === name)
    if (id < 0) throw new InvalidOptionError('source', `the index has no source named ${JSON.stringify(name)} (it has ${this.meta.sources.map(info => JSON.stringify(info.name)).join(', ')})`)
    let removed = 0
    await this.chunks(source, name, options.signal, async hashed => {
      const keys = referenceKeys(hashed.words, distinctOrder(hashed.words, hashed.length))
      const values = await this.db.getMany(keys)
      const batch = this.db.batch()
      keys.forEach((key, k) => {
        const old = values[k]
        if (old === undefined) return
        const ids = decodeIds(old)
        if (!ids.includes(id)) return
        const rest = ids.filter(other => other !== id)
        if (rest.length === 0) {
          batch.del(key)
          this.meta.count--
          removed++
        } else {
          batch.put(key, encodeValue(rest, decodeKey(old)))
        }
      })
      await batch.write()
    })
    await this.saveMeta()
    return { removed }
  }

  /** The names of the sources that reference a key; empty when none does. */
  async why (key: string): Promise<string[]> {
    const words = new Fingerprinter().fingerprint([{ key }])
    const value = await this.db.get(referenceKey(words, 0))
    if (value === undefined) return []
    return decodeIds(value).map(id => this.meta.sources[id]?.name ?? `#${id}`)
  }

  /** Sets `found[i]` to 1 when fingerprint i of `words` is in the index. Sorted reads are faster. */
  async lookup (words: Uint32Array, n: number, found: Uint8Array): Promise<void> {
    const order = fingerprintOrder(words, n)
    const values = await this.db.getMany(referenceKeys(words, order))
    order.forEach((i, k) => { found[i] = values[k] === undefined ? 0 : 1 })
  }

  /**
   * Every reference's fingerprint, in fingerprint order: chunks of 4 words per reference,
   * `words[4i]..words[4i+3]`, each chunk valid until the next. A diff against most of the index
   * reads it this way, one sequential scan, rather than looking each candidate up.
   */
  async * fingerprints (signal?: AbortSignal): AsyncGenerator<{ words: Uint32Array, length: number }> {
    const iterator = this.db.keys({ gt: Buffer.from([1]), lt: Buffer.from([2]) })
    const words = new Uint32Array(4 * SCAN_CHUNK)
    try {
      for (;;) {
        signal?.throwIfAborted()
        const keys = await iterator.nextv(SCAN_CHUNK)
        if (keys.length === 0) return
        for (let i = 0; i < keys.length; i++) {
          const key = keys[i] as Buffer
          words[4 * i] = key.readUInt32BE(1)
          words[4 * i + 1] = key.readUInt32BE(5)
          words[4 * i + 2] = key.readUInt32BE(9)
          words[4 * i + 3] = key.readUInt32BE(13)
        }
        yield { words, length: keys.length }
      }
    } finally {
      await iterator.close()
    }
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  private async saveMeta (): Promise<void> {
    await this.db.put(META_KEY, Buffer.from(JSON.stringify(this.meta)))
    await this.filter.save(join(this.directory, 'filter.sbbf'))
  }

  /** The source in fingerprinted batches: a file's lines as they were read, other sources in chunks of CHUNK. */
  private async chunks (source: KeySource, name: string, signal: AbortSignal | undefined, write: (batch: HashedBatch) => Promise<void>): Promise<void> {
    try {
      const lines = lineChunksOf(source)
      if (lines !== undefined) {
        const hasher = new LineHasher()
        for await (const chunk of lines()) {
          signal?.throwIfAborted()
          await write(hasher.hash(chunk, 2))
        }
        return
      }
      const fingerprinter = new Fingerprinter()
      let entries: KeyEntry[] = []
      for await (const batch of source) {
        signal?.throwIfAborted()
        for (const entry of batch) entries.push(entry)
        if (entries.length >= CHUNK) {
          await write(new EntryBatch(entries, fingerprinter))
          entries = []
        }
      }
      if (entries.length > 0) await write(new EntryBatch(entries, fingerprinter))
    } catch (error) {
      throw asSourceError(name, error)
    }
  }
}
