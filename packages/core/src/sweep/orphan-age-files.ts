import { randomBytes } from 'node:crypto'
import { open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { ClassicLevel } from 'classic-level'
import { KeydiffError } from '../errors.ts'
import { OrphanAgeError } from './orphan-age-error.ts'

/**
 * How the orphan-age ledger lies on disk, and how a state is committed:
 *
 *     <directory>/ledger.json     the pointer: names the committed generation
 *     <directory>/gen-<n>-<hex>/  a generation: a LevelDB of key → first-seen time
 *
 * A run writes its whole next state into a new generation while reading the committed one;
 * its commit syncs that generation, then replaces `ledger.json` by a rename (the new pointer
 * written in full and synced first). The rename is the commit point: before it the old generation is the
 * state, after it the new one, never a mix of the two. Whatever else a crash leaves (a
 * half-written generation, the old generation not yet removed, a pointer's temporary file)
 * is not named by the pointer and is removed by the next open.
 */
export const LEDGER_FORMAT = 'keydiff-orphan-age'
export const LEDGER_VERSION = 1
const POINTER = 'ledger.json'
const GENERATION = /^gen-[1-9]\d*-[0-9a-f]{8}$/
const POINTER_TEMP = /^ledger\.json\.[0-9a-f]{8}\.tmp$/

export type LedgerDb = ClassicLevel<Buffer, Buffer>
type LevelClass = typeof ClassicLevel

/** The committed state, as the pointer names it. */
export interface LedgerPointer {
  format: typeof LEDGER_FORMAT
  version: number
  /** The ledger's identity, made by its first commit: a generation records it, so that one copied from another ledger is told apart. */
  id: string
  /** The directory of the committed generation. */
  generation: string
  /** Runs committed so far. */
  runs: number
  /** ISO time of the run that committed this state (its `now`). */
  runAt: string
  /** ISO time of the commit. */
  committedAt: string
  /** What the ledger is for, as the runs named it; null when they did not. */
  scope: string | null
}

// Held while the database serves a run: the table files it maps are bounded by the open-file
// limit, the block cache by its size, the memtable by the write buffer.
const LEVEL_OPTIONS = { keyEncoding: 'buffer', valueEncoding: 'buffer', writeBufferSize: 4 * 1024 * 1024, cacheSize: 8 * 1024 * 1024, maxOpenFiles: 64 } as const

/** The pointer, or undefined when the directory holds no committed state. */
export async function readPointer (directory: string): Promise<LedgerPointer | undefined> {
  let text: string
  try {
    text = await readFile(join(directory, POINTER), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new OrphanAgeError(directory, `${POINTER} cannot be read: ${(error as Error).message}`, { cause: error })
  }
  let value: Partial<LedgerPointer>
  try {
    value = JSON.parse(text) as Partial<LedgerPointer>
  } catch (error) {
    throw new OrphanAgeError(directory, `${POINTER} is not JSON; it was not written by keydiff (delete the directory to start every clock again)`, { cause: error })
  }
  if (value?.format !== LEDGER_FORMAT || value.version !== LEDGER_VERSION) {
    throw new OrphanAgeError(directory, `${POINTER} is format ${String(value?.format)} version ${String(value?.version)}; this keydiff reads ${LEDGER_FORMAT} version ${LEDGER_VERSION} (delete the directory to start every clock again)`)
  }
  // The generation becomes a path: only a name of the ledger's own shape is followed.
  if (typeof value.id !== 'string' || typeof value.generation !== 'string' || !GENERATION.test(value.generation) || !Number.isSafeInteger(value.runs) || typeof value.runAt !== 'string') {
    throw new OrphanAgeError(directory, `${POINTER} is damaged (delete the directory to start every clock again)`)
  }
  return { ...value, scope: value.scope ?? null } as LedgerPointer
}

/**
 * Writes the pointer to a temporary file, in full and synced; `publishPointer` then renames
 * it into place. The rename is the commit point: before it nothing has changed.
 */
export async function stagePointer (directory: string, pointer: LedgerPointer): Promise<string> {
  const temporary = join(directory, `${POINTER}.${randomBytes(4).toString('hex')}.tmp`)
  const handle = await open(temporary, 'wx')
  try {
    await handle.writeFile(JSON.stringify(pointer) + '\n')
    await handle.sync()
  } finally {
    await handle.close()
  }
  // The new generation's own entry in the directory must be on disk before a pointer to it.
  await syncDirectory(directory)
  return temporary
}

/** Renames a staged pointer into place: from here on the new state is the state. */
export async function publishPointer (directory: string, staged: string): Promise<void> {
  await rename(staged, join(directory, POINTER))
}

/** Makes a published pointer survive a power loss, not only a crash of the process. */
export async function syncDirectory (directory: string): Promise<void> {
  const handle = await open(directory, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** A new ledger's identity. */
export function ledgerId (): string {
  return randomBytes(8).toString('hex')
}

/** A new generation's name: the run number keeps listings readable, the suffix keeps it unique. */
export function generationName (runs: number): string {
  return `gen-${runs}-${randomBytes(4).toString('hex')}`
}

/**
 * Opens a generation's database. LevelDB locks it for as long as it is open, in this process
 * and against others, so a second run on the same ledger is refused rather than interleaved.
 */
export async function openGeneration (Level: LevelClass, directory: string, generation: string, create: boolean): Promise<LedgerDb> {
  const db: LedgerDb = new Level(join(directory, generation), { ...LEVEL_OPTIONS, createIfMissing: create, errorIfExists: create })
  try {
    await db.open()
  } catch (error) {
    const cause = (error as { cause?: { code?: string, message?: string } }).cause
    if (cause?.code === 'LEVEL_LOCKED') throw new OrphanAgeError(directory, `another run has ${generation} open; one run at a time may use a ledger`, { code: 'KEYDIFF_LOCK_HELD', cause: error })
    throw new OrphanAgeError(directory, `${generation} cannot be opened: ${cause?.message ?? (error as Error).message}`, { cause: error })
  }
  return db
}

/**
 * Removes what a crash or an interrupted commit left behind: generations and pointer files
 * that the pointer does not name. A generation another process has open is a run in
 * progress, not debris: the open is refused instead. Names of other shapes are left alone.
 */
export async function removeDebris (Level: LevelClass, directory: string, keep: ReadonlyArray<string | undefined>): Promise<void> {
  for (const name of await readdir(directory)) {
    if (keep.includes(name)) continue
    if (POINTER_TEMP.test(name)) {
      await rm(join(directory, name), { force: true })
    } else if (GENERATION.test(name)) {
      let probe: LedgerDb | undefined
      try {
        probe = await openGeneration(Level, directory, name, false)
      } catch (error) {
        if (error instanceof KeydiffError && error.code === 'KEYDIFF_LOCK_HELD') throw error
      }
      await probe?.close()
      await rm(join(directory, name), { recursive: true, force: true })
    }
  }
}
