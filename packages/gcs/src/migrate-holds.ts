import { readFile, rename, writeFile } from 'node:fs/promises'
import type { Storage } from '@google-cloud/storage'
import { InvalidOptionError, NotSortedError, compareKeys } from '@keydiff/core'
import { toKeySource } from '@keydiff/core/adapter'
import type { KeyEntry, KeySource, KeySourceLike } from '@keydiff/core'
import { gcsSource } from './gcs-source.ts'
import { objectRunner } from './object-sink.ts'
import type { LegacyStorageOptions } from './options.ts'
import { patchHold } from './release-hold-sink.ts'

export interface HoldMigrationOptions {
  /** The user's client. Required. */
  client: Storage
  /** Bucket name. Required. */
  bucket: string
  /** Only objects under this prefix. @default '' */
  prefix?: string
  /**
   * The keys in use (storage keys). A source declared sorted is merged as the listing flows,
   * in constant memory; any other is first read into memory.
   */
  references: KeySourceLike
  /** JSON file recording progress after every page; a later run with the same file resumes after it. @default undefined (not resumable) */
  checkpoint?: string
  /** Objects patched at the same time. @default 16 */
  concurrency?: number
  /** Objects per listing page. @default 1000 */
  pageSize?: number
  /** Called after every page with the running report. @default undefined */
  onProgress?: (report: HoldMigrationReport) => void
  /** Billed project for requester-pays buckets. @default undefined */
  userProject?: string
  signal?: AbortSignal
}

export interface HoldMigrationReport {
  bucket: string
  prefix: string
  /** Objects listed, over all runs. */
  scanned: number
  /** Listed objects that the references point at: each got an event-based hold. */
  held: number
  /** Listed objects nothing points at: left as they are. */
  unreferenced: number
  /** Referenced objects whose hold could not be set, with why; run again to retry them. */
  failed: Array<{ key: string, error: string }>
  /** The last object name handled; a resumed run lists after it. */
  after: string | undefined
  /** Set when a run started from an earlier run's checkpoint: where it picked up. */
  resumedAfter: string | undefined
  complete: boolean
  startedAt: string
  updatedAt: string
}

const CHECKPOINT_VERSION = 1

async function readCheckpoint (path: string, bucket: string, prefix: string): Promise<HoldMigrationReport | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const saved = JSON.parse(text) as { version: number, report: HoldMigrationReport }
  if (saved.version !== CHECKPOINT_VERSION || saved.report.bucket !== bucket || saved.report.prefix !== prefix) {
    throw new InvalidOptionError('checkpoint', `${path} belongs to another migration (gs://${saved.report?.bucket}/${saved.report?.prefix}); use another file`)
  }
  return saved.report
}

async function writeCheckpoint (path: string, report: HoldMigrationReport): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, JSON.stringify({ version: CHECKPOINT_VERSION, report }, null, 2))
  await rename(temporary, path)
}

/** Answers "is this key referenced?" for keys asked in ascending order, reading a sorted source alongside. */
function sortedMembership (source: KeySource): (key: string) => Promise<boolean> {
  const iterator = source[Symbol.asyncIterator]()
  let batch: readonly KeyEntry[] = []
  let index = 0
  let previous: string | undefined
  let ended = false
  const peek = async (): Promise<string | undefined> => {
    while (index >= batch.length) {
      if (ended) return undefined
      const next = await iterator.next()
      if (next.done === true) { ended = true; return undefined }
      batch = next.value
      index = 0
    }
    const key = (batch[index] as KeyEntry).key
    if (previous !== undefined && compareKeys(previous, key) > 0) throw new NotSortedError(source.name, previous, key)
    previous = key
    return key
  }
  return async key => {
    for (let ref = await peek(); ref !== undefined; ref = await peek()) {
      const order = compareKeys(ref, key)
      if (order > 0) return false
      index++
      if (order === 0) return true
    }
    return false
  }
}

async function setMembership (source: KeySource): Promise<(key: string) => Promise<boolean>> {
  const keys = new Set<string>()
  for await (const batch of source) for (const entry of batch) keys.add(entry.key)
  return async key => keys.has(key)
}

/**
 * Prepares an existing bucket for hold-based soft delete: sets an event-based hold on every
 * listed object that the references point at, and touches nothing else. It works page by
 * page in listing order and records each finished page in the checkpoint, so an interrupted
 * run (an error, an abort) resumes where it stopped; the report counts over all runs.
 */
export async function migrateToHolds (options: HoldMigrationOptions | LegacyStorageOptions<HoldMigrationOptions>): Promise<HoldMigrationReport> {
  const prefix = options.prefix ?? ''
  const runner = objectRunner('migrateToHolds', { ...options, maxBatch: 1000 }, bucket => `migrate-holds:gs://${bucket}/${prefix}`)
  const client = runner.client
  const saved = options.checkpoint === undefined ? undefined : await readCheckpoint(options.checkpoint, options.bucket, prefix)
  if (saved?.complete === true) return saved
  const now = new Date().toISOString()
  const report: HoldMigrationReport = saved === undefined
    ? { bucket: options.bucket, prefix, scanned: 0, held: 0, unreferenced: 0, failed: [], after: undefined, resumedAfter: undefined, complete: false, startedAt: now, updatedAt: now }
    : { ...saved, resumedAfter: saved.after }

  const references = toKeySource(options.references, 'references')
  const isReferenced = references.sorted ? sortedMembership(references) : await setMembership(references)
  const listing = gcsSource({
    client,
    bucket: options.bucket,
    prefix,
    pageSize: options.pageSize,
    concurrency: 1,
    userProject: options.userProject,
    signal: options.signal,
    ...(report.after === undefined ? {} : { startOffset: report.after })
  })

  for await (const page of listing) {
    const entries = report.after === undefined ? page : page.filter(entry => compareKeys(entry.key, report.after as string) > 0)
    if (entries.length === 0) continue
    const referenced: KeyEntry[] = []
    for (const entry of entries) if (await isReferenced(entry.key)) referenced.push(entry)
    const outcomes = await runner.run(referenced, { signal: options.signal }, async entry => await patchHold(runner.context, entry, true))
    for (const outcome of outcomes) {
      if (outcome.ok) report.held++
      else report.failed.push({ key: outcome.key, error: outcome.error ?? 'unknown error' })
    }
    report.scanned += entries.length
    report.unreferenced += entries.length - referenced.length
    report.after = (entries[entries.length - 1] as KeyEntry).key
    report.updatedAt = new Date().toISOString()
    if (options.checkpoint !== undefined) await writeCheckpoint(options.checkpoint, report)
    options.onProgress?.({ ...report, failed: [...report.failed] })
  }
  report.complete = true
  report.updatedAt = new Date().toISOString()
  if (options.checkpoint !== undefined) await writeCheckpoint(options.checkpoint, report)
  return report
}
