import { mkdir, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { InvalidOptionError, KeydiffError } from '../errors.ts'
import { parseDuration } from './duration.ts'
import { OrphanAgeError } from './orphan-age-error.ts'
import { LEDGER_FORMAT, LEDGER_VERSION, generationName, ledgerId, openGeneration, publishPointer, readPointer, removeDebris, stagePointer, syncDirectory, type LedgerDb, type LedgerPointer } from './orphan-age-files.ts'
import { decodeLedgerKey, encodeLedgerKey } from './orphan-age-key.ts'

export interface OrphanAgeLedgerOptions {
  /**
   * The ledger's directory, made when missing: the run's work directory's `orphan-age/`. It
   * belongs to one store and key range; one run at a time may use it. Required.
   */
  directory: string
  /**
   * How long before this run a key must first have been found orphaned, by a committed run,
   * and found orphaned by every committed run since, to be old enough. Milliseconds or
   * `'7d'`, `'36h'`. Zero still needs an earlier run: the key must be found orphaned twice.
   * Required.
   */
  minAge: number | string
  /**
   * This run's time: the first-seen time of the keys it finds first, and the time ages are
   * measured to.
   * @default the time of the open
   */
  now?: Date | number
  /**
   * What the ledger is for, such as the store's location and key range. A ledger committed
   * under another scope is refused, since its keys' ages would be taken for another store's.
   * @default null (runs that name no scope only)
   */
  scope?: string
}

/** Ages of one observed batch, index for index. */
export interface OrphanAges {
  /**
   * `oldEnough[i]`: key i was found orphaned by a committed run at least `minAge` before this
   * run, and by every committed run since. A key this run is the first to find is never old
   * enough.
   */
  oldEnough: boolean[]
  /** `firstSeen[i]`: when key i was first found orphaned (ms since the epoch); this run's time if now. */
  firstSeen: number[]
}

/** A key of the committed state and when it was first found orphaned (ms since the epoch). */
export interface OrphanAgeEntry {
  key: string
  firstSeen: number
}

/** The committed state a ledger was opened on, or that a commit made. */
export interface OrphanAgeRun {
  /** Runs committed so far. */
  runs: number
  /** The time of the run that committed it. */
  runAt: Date
}

const META_KEY = Buffer.from('\x00meta', 'latin1')
const ENTRY = 0x01
const ENTRIES_FROM = Buffer.from([ENTRY])
const ENTRIES_TO = Buffer.from([ENTRY + 1])
const ENTRIES_PER_READ = 1024

/**
 * When each orphan was first found orphaned, across runs: the memory behind `minOrphanAge`.
 * An object's modification time says nothing of when it stopped being referenced
 * (delta-rs#4300); this ledger does. A run observes the orphans it finds (those it could
 * plan), batch by batch, and learns for each whether it is old enough; a key the run does not
 * observe drops out of the next state, so its clock starts again if it is orphaned again.
 *
 * The ledger is LevelDB (classic-level), not a sorted file merged with the run's orphans:
 * orphans arrive in no order, millions of them, and each batch needs its verdict before the
 * next comes (the plan is written as it goes). A sorted file would need a block index for
 * those look-ups and an external sort of the next state, which is LevelDB's memtable and
 * compaction; LevelDB does both in bounded memory with one native call per batch each way.
 *
 * A run reads the committed state and writes its next state aside (orphan-age-files.ts):
 * `commit()` makes it the state atomically, `abort()` drops it. A run that fails, or that a
 * guard refuses, must abort: with partial references it would record live keys as orphans.
 */
export class OrphanAgeLedger {
  private closed = false
  private observing = 0

  private constructor (
    /** The ledger's directory, resolved. */
    readonly directory: string,
    /** `minAge` in milliseconds. */
    readonly minAgeMs: number,
    /** This run's time, ms since the epoch. */
    readonly now: number,
    /** The committed state this run reads; undefined when no run has committed. */
    readonly previous: OrphanAgeRun | undefined,
    private readonly scope: string | null,
    private readonly id: string,
    private readonly committed: LedgerDb | undefined,
    private readonly committedName: string | undefined,
    private readonly next: LedgerDb,
    private readonly nextName: string
  ) {}

  /**
   * Opens the committed state for reading and a new generation for this run's. Removes what
   * a crashed run left behind. Refused (`KEYDIFF_LOCK_HELD`) while another run has it open.
   */
  static async open (options: OrphanAgeLedgerOptions): Promise<OrphanAgeLedger> {
    if (options === null || typeof options !== 'object') throw new TypeError('OrphanAgeLedger.open: options are required')
    if (typeof options.directory !== 'string' || options.directory.length === 0) throw new InvalidOptionError('directory', 'the orphan-age ledger directory is required')
    const minAgeMs = parseDuration(options.minAge, 'minOrphanAge')
    const now = options.now === undefined ? Date.now() : options.now instanceof Date ? options.now.getTime() : options.now
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new InvalidOptionError('now', `${String(options.now)} is not a time`)
    if (options.scope !== undefined && typeof options.scope !== 'string') throw new TypeError('OrphanAgeLedger.open: options.scope must be a string')
    const scope = options.scope ?? null
    const directory = resolve(options.directory)
    await mkdir(directory, { recursive: true })
    const pointer = await readPointer(directory)
    if (pointer !== undefined && pointer.scope !== scope) {
      throw new OrphanAgeError(directory, `recorded for ${JSON.stringify(pointer.scope)}, not for ${JSON.stringify(scope)}: give another store or range its own directory, or delete this one to start every clock again`, { code: 'KEYDIFF_INVALID_OPTION' })
    }
    // Loaded here, not at the top: LevelDB's binding costs every other command 30 ms of start-up.
    const { ClassicLevel } = await import('classic-level')
    const committed = pointer === undefined ? undefined : await openGeneration(ClassicLevel, directory, pointer.generation, false)
    const nextName = generationName((pointer?.runs ?? 0) + 1)
    let next: LedgerDb | undefined
    try {
      if (committed !== undefined) await checkGeneration(committed, directory, pointer as LedgerPointer)
      next = await openGeneration(ClassicLevel, directory, nextName, true)
      await removeDebris(ClassicLevel, directory, [pointer?.generation, nextName])
    } catch (error) {
      await next?.close()
      await committed?.close()
      if (next !== undefined) await rm(join(directory, nextName), { recursive: true, force: true })
      throw error
    }
    const previous = pointer === undefined ? undefined : { runs: pointer.runs, runAt: new Date(pointer.runAt) }
    return new OrphanAgeLedger(directory, minAgeMs, now, previous, scope, pointer?.id ?? ledgerId(), committed, pointer?.generation, next, nextName)
  }

  /**
   * Records that this run found these keys orphaned, and says for each whether it is old
   * enough. One call per batch; a key may come in several batches. Await each call before
   * `commit()`.
   */
  async observe (keys: ReadonlyArray<string | { readonly key: string }>): Promise<OrphanAges> {
    this.assertOpen('observe')
    this.observing++
    try {
      const encoded = keys.map(item => encodeLedgerKey(typeof item === 'string' ? item : item.key, ENTRY))
      const before = this.committed === undefined || encoded.length === 0 ? [] : await this.committed.getMany(encoded)
      const oldEnough = new Array<boolean>(encoded.length)
      const firstSeen = new Array<number>(encoded.length)
      const operations = new Array<{ type: 'put', key: Buffer, value: Buffer }>(encoded.length)
      for (let i = 0; i < encoded.length; i++) {
        const value = before[i]
        // A first-seen time after this run (a clock set back) is kept: a later time only
        // makes the key younger, never old enough sooner.
        const seen = value === undefined ? this.now : value.readDoubleBE(0)
        oldEnough[i] = value !== undefined && this.now - seen >= this.minAgeMs
        firstSeen[i] = seen
        const time = Buffer.allocUnsafe(8)
        time.writeDoubleBE(seen, 0)
        operations[i] = { type: 'put', key: encoded[i] as Buffer, value: time }
      }
      if (operations.length > 0) await this.next.batch(operations)
      return { oldEnough, firstSeen }
    } catch (error) {
      throw asLedgerError(this.directory, 'recording orphans', error)
    } finally {
      this.observing--
    }
  }

  /**
   * The committed state this run reads (not what it has observed), in batches, in the UTF-8
   * byte order of the keys.
   */
  async * entries (): AsyncGenerator<OrphanAgeEntry[]> {
    this.assertOpen('entries')
    if (this.committed === undefined) return
    const iterator = this.committed.iterator({ gte: ENTRIES_FROM, lt: ENTRIES_TO })
    try {
      for (;;) {
        const rows = await iterator.nextv(ENTRIES_PER_READ)
        if (rows.length === 0) return
        yield rows.map(([key, value]) => ({ key: decodeLedgerKey(key), firstSeen: value.readDoubleBE(0) }))
      }
    } finally {
      await iterator.close()
    }
  }

  /**
   * Makes this run's observations the committed state: the keys observed, each with its
   * first-seen time, and no other. Atomic: a crash at any point leaves either the state the
   * run opened or this one. Call it only once the run's plan is sure to stand (every source
   * read in full, every guard passed). The ledger is closed afterwards.
   */
  async commit (): Promise<OrphanAgeRun> {
    this.assertOpen('commit')
    if (this.observing > 0) throw new Error('OrphanAgeLedger: commit while an observe() is still running; await every observe first')
    const run: OrphanAgeRun = { runs: (this.previous?.runs ?? 0) + 1, runAt: new Date(this.now) }
    const pointer: LedgerPointer = { format: LEDGER_FORMAT, version: LEDGER_VERSION, id: this.id, generation: this.nextName, runs: run.runs, runAt: run.runAt.toISOString(), committedAt: new Date().toISOString(), scope: this.scope }
    let staged: string
    try {
      // The synced write makes the whole generation durable: LevelDB syncs every table file
      // it writes, and this syncs the log that holds the rest.
      await this.next.put(META_KEY, Buffer.from(JSON.stringify(pointer)), { sync: true })
      staged = await stagePointer(this.directory, pointer)
      // Renamed while the generation is still open: its lock keeps another open from taking it for debris.
      await publishPointer(this.directory, staged)
    } catch (error) {
      await this.abort()
      throw asLedgerError(this.directory, 'committing', error)
    }
    // Committed: from here a failure must remove neither generation (the next open sorts out
    // which one the pointer on disk names).
    this.closed = true
    try {
      await syncDirectory(this.directory)
    } catch (error) {
      await this.next.close().catch(() => {})
      await this.committed?.close().catch(() => {})
      throw asLedgerError(this.directory, 'syncing the committed state', error)
    }
    await this.next.close()
    await this.committed?.close()
    // A failure here leaves the old generation as debris, which the next open removes.
    if (this.committedName !== undefined) await rm(join(this.directory, this.committedName), { recursive: true, force: true }).catch(() => {})
    return run
  }

  /**
   * Drops this run's observations: the committed state stays as it was. Does nothing once
   * the ledger is committed or aborted, so it can sit in a `finally`.
   */
  async abort (): Promise<void> {
    if (this.closed) return
    this.closed = true
    await this.next.close().catch(() => {})
    await this.committed?.close().catch(() => {})
    await rm(join(this.directory, this.nextName), { recursive: true, force: true })
  }

  private assertOpen (operation: string): void {
    if (this.closed) throw new Error(`OrphanAgeLedger: ${operation} after commit or abort`)
  }
}

/** A committed generation must carry the record its commit wrote, naming itself and its ledger. */
async function checkGeneration (db: LedgerDb, directory: string, pointer: LedgerPointer): Promise<void> {
  const raw = await db.get(META_KEY)
  let meta: Partial<LedgerPointer> | undefined
  try {
    meta = raw === undefined ? undefined : JSON.parse(raw.toString('utf8')) as Partial<LedgerPointer>
  } catch {}
  if (meta?.generation !== pointer.generation || meta.id !== pointer.id) {
    throw new OrphanAgeError(directory, `${pointer.generation} is not the state ledger.json names: it is another ledger's or was changed outside keydiff (delete the directory to start every clock again)`)
  }
}

function asLedgerError (directory: string, doing: string, error: unknown): KeydiffError {
  if (error instanceof KeydiffError) return error
  const message = error instanceof Error ? (error as Error & { cause?: Error }).cause?.message ?? error.message : String(error)
  const full = (error as NodeJS.ErrnoException).code === 'ENOSPC' || /no space left/i.test(message)
  return new OrphanAgeError(directory, `${doing} failed: ${message}`, { cause: error, ...(full ? { code: 'KEYDIFF_DISK_FULL' as const } : {}) })
}
