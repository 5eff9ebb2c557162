import { existsSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { ClassicLevel } from 'classic-level'
import { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { InvalidOptionError, asSourceError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource, type KeySourceLike } from '../keys/key-source.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import { IndexVersionError } from './index-version-error.ts'
import { INDEX_FORMAT, INDEX_VERSION, META_KEY, decodeIds, decodeKey, encodeValue, fingerprintOrder, referenceKey, type IndexMeta } from './index-layout.ts'

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
    const db: Db = new ClassicLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
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
    await this.chunks(source, name, options.signal, async (words, entries, n) => {
      seen += n
      for (let i = 0; i < n; i++) this.filter.insertHash(words[4 * i] as number, words[4 * i + 1] as number)
      const order = fingerprintOrder(words, n)
      const keys: Buffer[] = []
      const texts: string[] = []
      let last: Buffer | undefined
      for (const i of order) {
        const key = referenceKey(words, i)
        if (last !== undefined && key.equals(last)) continue
        last = key
        keys.push(key)
        texts.push((entries[i] as KeyEntry).key)
      }
      const existing = blind ? undefined : await this.db.getMany(keys)
      const batch = this.db.batch()
      keys.forEach((key, k) => {
        const old = existing?.[k]
        const ids = old === undefined ? [] : decodeIds(old)
        if (old === undefined) this.meta.count++
        if (ids.includes(id)) return
        batch.put(key, encodeValue([...ids, id], texts[k] as string))
      })
      await batch.write()
    })
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
    await this.chunks(source, name, options.signal, async (words, _entries, n) => {
      const keys: Buffer[] = []
      for (const i of fingerprintOrder(words, n)) {
        const key = referenceKey(words, i)
        if (keys.length === 0 || !key.equals(keys[keys.length - 1] as Buffer)) keys.push(key)
      }
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
    const values = await this.db.getMany(Array.from(order, i => referenceKey(words, i)))
    order.forEach((i, k) => { found[i] = values[k] === undefined ? 0 : 1 })
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  private async saveMeta (): Promise<void> {
    await this.db.put(META_KEY, Buffer.from(JSON.stringify(this.meta)))
    await this.filter.save(join(this.directory, 'filter.sbbf'))
  }

  private async chunks (source: ReturnType<typeof toKeySource>, name: string, signal: AbortSignal | undefined, write: (words: Uint32Array, entries: KeyEntry[], n: number) => Promise<void>): Promise<void> {
    const fingerprinter = new Fingerprinter()
    const words = new Uint32Array(CHUNK * 4 + 4 * 8192)
    let entries: KeyEntry[] = []
    const flush = async (): Promise<void> => {
      if (entries.length > 0) await write(words, entries, entries.length)
      entries = []
    }
    try {
      for await (const batch of source) {
        signal?.throwIfAborted()
        for (let start = 0; start < batch.length; start += 8192) {
          const part = batch.slice(start, start + 8192)
          words.set(fingerprinter.fingerprint(part).subarray(0, 4 * part.length), 4 * entries.length)
          for (const entry of part) entries.push(entry)
          if (entries.length >= CHUNK) await flush()
        }
      }
    } catch (error) {
      throw asSourceError(name, error)
    }
    await flush()
  }
}
