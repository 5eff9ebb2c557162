import { existsSync, statSync } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'
import { InvalidOptionError, asSourceError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { LineHasher } from '../engine/line-batch.ts'
import { lineChunksOf } from '../engine/line-chunks.ts'
import { EntryBatch, type HashedBatch } from '../spill/hashed-batch.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import { parseSize } from '../util/size.ts'
import { findFingerprint } from './fingerprint-sort.ts'
import { IndexVersionError } from './index-version-error.ts'
import { HOST_LITTLE_ENDIAN, INDEX_FORMAT, INDEX_VERSION, META_KEY, RUNS_FROM, RUNS_TO, rangeBitsFor, rangeKey, rangeOf, type IndexMeta } from './index-layout.ts'
import { decodeRun, runWords, setAt } from './index-run.ts'
import { PendingFingerprints, writeRuns, type IndexDb } from './index-writer.ts'

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
  /**
   * The budget. A share holds the references gathered, then sorted and written by range (a
   * larger source goes through partition files first); when this update makes the index's
   * Bloom filter, the filter takes at most half of it, whatever the expected count asks for.
   * @default '256MiB'
   */
  memory?: number | string
  /** Where those partition files go. @default os.tmpdir() */
  tmpdir?: string
  signal?: AbortSignal
}

// Entries of a non-file source fingerprinted at a time.
const CHUNK = 65536
const DEFAULT_EXPECTED = 10_000_000
const DEFAULT_MEMORY = 256 * 1024 * 1024
// Share of an update's budget a filter it makes may take (pending fingerprints take a quarter).
const FILTER_SHARE = 0.5
// Runs read per native call while scanning (a run is a few thousand fingerprints).
const SCAN_RUNS = 64
// LevelDB maps every table file it opens into memory and keeps up to its table cache's 64
// (the least it allows) mapped: small files bound what a scan of the whole index keeps
// resident. Memtable flushes make the files of a build (its ranges arrive in order, so they
// are moved down the levels, not rewritten; index-writer.ts cuts its batches to match),
// compactions those of an update.
const WRITE_BUFFER = 512 * 1024
const TABLE_FILE = 512 * 1024
const OPEN_FILES = 74
// LevelDB's block cache (its default, 8 MiB), set here so that what it holds is known.
const BLOCK_CACHE = 8 * 1024 * 1024

/**
 * A kept reference index in LevelDB (classic-level): the references' fingerprints with which
 * source named each key, stored as sorted runs, one LevelDB entry per range of the fingerprint
 * space (index-layout.ts); a Bloom filter beside them (`filter.sbbf`) and when each source's
 * scan started. Build it once, diff against it as often as needed, add and remove sources.
 */
export class ReferenceIndex {
  private loadedFilter: Promise<SplitBlockBloomFilter> | undefined
  // Operations reading or writing the database now: its tables are released only when none
  // is, and an operation that starts during a release waits for it.
  private busy = 0
  private releasing: Promise<void> | undefined

  private constructor (readonly directory: string, private readonly db: IndexDb, public meta: IndexMeta, private readonly newFilter: { expectedCount: number, falsePositiveRate: number }) {}

  /**
   * The index's Bloom filter, read on first use: a diff that scans the index needs none, and
   * at 20M references it is 24 MiB of the budget.
   */
  filter (): Promise<SplitBlockBloomFilter> {
    this.loadedFilter ??= this.readFilter()
    return this.loadedFilter
  }

  /** The bytes of the filter as saved, without reading it; 0 when there is none. */
  filterBytes (): number {
    return existsSync(this.filterPath) ? statSync(this.filterPath).size : 0
  }

  private get filterPath (): string {
    return join(this.directory, 'filter.sbbf')
  }

  // `maxBytes` caps a filter made now (an index's first update), so that it keeps to that
  // update's budget; a filter already saved is read as it is.
  private async readFilter (maxBytes?: number): Promise<SplitBlockBloomFilter> {
    if (existsSync(this.filterPath)) return await SplitBlockBloomFilter.load(this.filterPath)
    // Without its filter, a lookup would take every candidate for an orphan.
    if (this.meta.count > 0) throw new IndexVersionError(this.directory, 'filter.sbbf is missing; rebuild the index')
    return SplitBlockBloomFilter.create({ ...this.newFilter, ...(maxBytes === undefined ? {} : { maxBytes }) })
  }

  static async open (directory: string, options: ReferenceIndexOptions = {}): Promise<ReferenceIndex> {
    const location = join(directory, 'db')
    if (!HOST_LITTLE_ENDIAN) throw new Error('the keydiff reference index needs a little-endian host')
    if (!existsSync(location) && options.create !== true) throw new IndexVersionError(directory, 'no reference index here; build one with `keydiff index build`')
    await mkdir(directory, { recursive: true })
    // Loaded here, not at the top: LevelDB's binding costs every other command 30 ms of start-up.
    const { ClassicLevel } = await import('classic-level')
    const db: IndexDb = new ClassicLevel(location, { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: WRITE_BUFFER, maxFileSize: TABLE_FILE, maxOpenFiles: OPEN_FILES, cacheSize: BLOCK_CACHE })
    try {
      await db.open()
      const raw = await db.get(META_KEY)
      let meta: IndexMeta
      if (raw === undefined) {
        meta = { format: INDEX_FORMAT, version: INDEX_VERSION, sources: [], count: 0, rangeBits: rangeBitsFor(options.expectedCount ?? DEFAULT_EXPECTED), createdAt: new Date().toISOString() }
      } else {
        meta = JSON.parse(raw.toString('utf8')) as IndexMeta
        if (meta.format !== INDEX_FORMAT || meta.version !== INDEX_VERSION) throw new IndexVersionError(directory, `format ${String(meta.format)} version ${String(meta.version)} cannot be read by this keydiff (it reads ${INDEX_FORMAT} version ${INDEX_VERSION}); rebuild the index`)
      }
      return new ReferenceIndex(directory, db, meta, { expectedCount: options.expectedCount ?? DEFAULT_EXPECTED, falsePositiveRate: options.falsePositiveRate ?? 0.01 })
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

  /**
   * What LevelDB may keep resident while the index is read (mapped table files, block cache,
   * write buffers): a diff leaves this much of its budget to it.
   */
  get residentBytes (): number {
    return OPEN_FILES * TABLE_FILE + BLOCK_CACHE + 2 * WRITE_BUFFER
  }

  /** The earliest scan start of the sources in the index: the sweep's time fence. */
  get scanStartedAt (): string | undefined {
    return this.meta.sources.map(source => source.scanStartedAt).sort()[0]
  }

  /** Adds a source's references, recorded under its name. */
  async add (references: KeySourceLike, options: IndexUpdateOptions = {}): Promise<{ references: number }> {
    return await this.using(async () => await this.addSource(references, options))
  }

  private async addSource (references: KeySourceLike, options: IndexUpdateOptions): Promise<{ references: number }> {
    const source = toKeySource(references, 'references')
    const name = options.source ?? source.name
    let id = this.meta.sources.findIndex(info => info.name === name)
    if (id < 0) {
      if (this.meta.sources.length > 0xffff) throw new InvalidOptionError('source', 'an index holds at most 65536 sources')
      id = this.meta.sources.push({ name, scanStartedAt: new Date().toISOString() }) - 1
    }
    const pending = this.pending(id, 'add', options)
    this.loadedFilter ??= this.readFilter(Math.floor(pending.memory * FILTER_SHARE))
    const filter = await this.loadedFilter
    let seen = 0
    try {
      await this.chunks(source, name, options.signal, batch => {
        seen += batch.length
        filter.addHashes(batch.words, 4, batch.length)
        pending.push(batch.words, batch.length)
      })
      await pending.flush()
    } finally {
      pending.close()
    }
    const info = this.meta.sources[id]
    if (info !== undefined && source.scanStartedAt !== undefined) info.scanStartedAt = source.scanStartedAt.toISOString()
    await this.saveMeta()
    return { references: seen }
  }

  /** Removes a source's claim on the given keys; a key no source claims any more is deleted. */
  async remove (references: KeySourceLike, options: IndexUpdateOptions = {}): Promise<{ removed: number }> {
    return await this.using(async () => await this.removeSource(references, options))
  }

  private async removeSource (references: KeySourceLike, options: IndexUpdateOptions): Promise<{ removed: number }> {
    const source = toKeySource(references, 'references')
    const name = options.source ?? source.name
    const id = this.meta.sources.findIndex(info => info.name === name)
    if (id < 0) throw new InvalidOptionError('source', `the index has no source named ${JSON.stringify(name)} (it has ${this.meta.sources.map(info => JSON.stringify(info.name)).join(', ')})`)
    const before = this.meta.count
    const pending = this.pending(id, 'remove', options)
    try {
      await this.chunks(source, name, options.signal, batch => { pending.push(batch.words, batch.length) })
      await pending.flush()
    } finally {
      pending.close()
    }
    await this.saveMeta()
    return { removed: before - this.meta.count }
  }

  /** The names of the sources that reference a key; empty when none does. */
  async why (key: string): Promise<string[]> {
    const words = new Fingerprinter().fingerprint([{ key }])
    const value = await this.using(async () => await this.db.get(rangeKey(rangeOf(words, 0, this.meta.rangeBits))))
    if (value === undefined) return []
    const run = decodeRun(value)
    const i = findFingerprint(run.words, 0, run.length, words, 0)
    return i < 0 ? [] : setAt(run, i).map(id => this.meta.sources[id]?.name ?? `#${id}`)
  }

  /** Sets `found[i]` to 1 when fingerprint i of `words` is in the index: each range's run is read once. */
  async lookup (words: Uint32Array, n: number, found: Uint8Array): Promise<void> {
    const bits = this.meta.rangeBits
    const ranges = new Uint32Array(n)
    for (let i = 0; i < n; i++) ranges[i] = rangeOf(words, i, bits)
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (ranges[a] as number) - (ranges[b] as number))
    const distinct = [...new Set(order.map(i => ranges[i] as number))]
    const values = await this.using(async () => await this.db.getMany(distinct.map(rangeKey)))
    let scratch: Uint32Array = new Uint32Array(0)
    let k = 0
    for (let r = 0; r < distinct.length; r++) {
      const value = values[r]
      const run = value === undefined ? undefined : runWords(value, scratch)
      if (run !== undefined) scratch = run.words
      for (; k < n && ranges[order[k] as number] === distinct[r]; k++) {
        const i = order[k] as number
        found[i] = run !== undefined && findFingerprint(run.words, 0, run.length, words, i) >= 0 ? 1 : 0
      }
    }
  }

  /**
   * Every reference's fingerprint, in fingerprint order: chunks of 4 words per reference,
   * `words[4i]..words[4i+3]`, each chunk (one range's run) valid until the next. A diff against
   * most of the index reads it this way, one sequential scan, rather than looking each candidate up.
   */
  async * fingerprints (signal?: AbortSignal): AsyncGenerator<{ words: Uint32Array, length: number }> {
    await this.enter()
    const iterator = this.db.values({ gte: RUNS_FROM, lt: RUNS_TO, fillCache: false })
    let scratch: Uint32Array = new Uint32Array(0)
    let whole = false
    try {
      for (;;) {
        signal?.throwIfAborted()
        const values = await iterator.nextv(SCAN_RUNS)
        if (values.length === 0) {
          whole = true
          return
        }
        for (const value of values) {
          const run = runWords(value, scratch)
          scratch = run.words
          yield run
        }
      }
    } finally {
      try {
        await iterator.close()
      } finally {
        this.busy--
      }
      if (whole) await this.releaseTables()
    }
  }

  async close (): Promise<void> {
    await this.db.close()
  }

  /**
   * Reopens the database when nothing is using it. LevelDB keeps the last 64 table files it
   * read mapped, resident, until it closes: after a whole scan that is 32 MiB of the diff's
   * budget that the rest of the diff (its drain, the orphans read back) can have again.
   */
  private async releaseTables (): Promise<void> {
    if (this.busy > 0 || this.releasing !== undefined) return
    this.releasing = this.reopen().finally(() => { this.releasing = undefined })
    await this.releasing
  }

  private async reopen (): Promise<void> {
    await this.db.close()
    try {
      await this.db.open()
    } catch (error) {
      throw new IndexVersionError(this.directory, `cannot reopen after a scan (${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message})`, { cause: error })
    }
  }

  private async enter (): Promise<void> {
    while (this.releasing !== undefined) await this.releasing.catch(() => {})
    this.busy++
  }

  private async using<T> (work: () => Promise<T>): Promise<T> {
    await this.enter()
    try {
      return await work()
    } finally {
      this.busy--
    }
  }

  private async saveMeta (): Promise<void> {
    await this.db.put(META_KEY, Buffer.from(JSON.stringify(this.meta)))
    // `remove` leaves the filter as it was (a Bloom filter cannot forget), so one never read is not written.
    if (this.loadedFilter !== undefined) await (await this.loadedFilter).save(this.filterPath)
  }

  /** Fingerprints of source `id` gathered and written to the runs, counted into the metadata. */
  private pending (id: number, mode: 'add' | 'remove', options: IndexUpdateOptions): PendingFingerprints {
    const memory = parseSize(options.memory ?? DEFAULT_MEMORY, 'memory')
    if (memory < 1024 * 1024) throw new InvalidOptionError('memory', `${memory} bytes is below the 1 MiB minimum`)
    const init = { memory, rangeBits: this.meta.rangeBits, tmpdir: options.tmpdir, fresh: this.meta.count === 0, signal: options.signal }
    return new PendingFingerprints(init, async (sorted, fresh) => {
      const delta = await writeRuns(this.db, this.meta.rangeBits, sorted, id, mode, fresh)
      this.meta.count += mode === 'add' ? delta : -delta
    })
  }

  /** The source in fingerprinted batches: a file's lines as they were read, other sources in chunks of CHUNK. */
  private async chunks (source: KeySource, name: string, signal: AbortSignal | undefined, write: (batch: HashedBatch) => void): Promise<void> {
    try {
      const lines = lineChunksOf(source)
      if (lines !== undefined) {
        const hasher = new LineHasher()
        for await (const chunk of lines()) {
          signal?.throwIfAborted()
          write(hasher.hash(chunk))
        }
        return
      }
      const fingerprinter = new Fingerprinter()
      let entries: KeyEntry[] = []
      for await (const batch of source) {
        signal?.throwIfAborted()
        for (const entry of batch) entries.push(entry)
        if (entries.length >= CHUNK) {
          write(new EntryBatch(entries, fingerprinter))
          entries = []
        }
      }
      if (entries.length > 0) write(new EntryBatch(entries, fingerprinter))
    } catch (error) {
      throw asSourceError(name, error)
    }
  }
}
