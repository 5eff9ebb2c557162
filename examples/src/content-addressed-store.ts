/**
 * Job 1: a content-addressed blob store (`blobs/ab/cd/<sha1>`) whose blobs are shared by many
 * repositories. A kept reverse-lookup index (LevelDB) records which repository uses which
 * blob and when each repository was scanned; every stored blob that no repository uses, and
 * that is older than the scan (minus a grace period), is deleted, all under one exclusive lock.
 *
 *   tsx examples/src/content-addressed-store.ts            # a demo store in a temp directory
 *   STORE=./store REPOS=a.txt,b.txt tsx examples/src/content-addressed-store.ts
 */
import { mkdir, mkdtemp, utimes, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { pipe } from 'it-pipe'
import {
  apply,
  diffIndex,
  directoryDeleteSink,
  directorySource,
  formatPlanSummary,
  linesSource,
  lockFile,
  map,
  plan,
  ReferenceIndex,
  type ApplyResult,
  type LockInfo,
  type PlanSummary
} from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'

export interface ContentAddressedStoreOptions {
  /** The blob store's root directory; blobs live under `blobs/`. Required. */
  store: string
  /** Files listing the blob hashes each repository uses, one per line; the file name names the repository. Required. */
  repos: readonly string[]
  /** Where the index, the plan and its audit log are kept. @default `<store>/.keydiff` */
  work?: string
  /** Diff against the index already in `<work>/index` instead of rebuilding it. @default false */
  reuseIndex?: boolean
  /** Keep the index afterwards (for `reuseIndex` or `keydiff index why`); false drops it. @default true */
  keepIndex?: boolean
  /** Take the lock over from another holder. @default false */
  force?: boolean
  /** Blobs modified less than this long before the index's scan started are kept. @default '24h' */
  grace?: number | string
  /** Stop after the plan (a dry run). @default false */
  dryRun?: boolean
  /** Where progress lines go. @default console.log */
  log?: (line: string) => void
}

export interface ContentAddressedStoreResult {
  summary: PlanSummary
  /** Undefined for a dry run. */
  applied: ApplyResult | undefined
  /** The lock holder this run displaced with `force`. */
  takenOver: LockInfo | undefined
  /** Whether the index directory still exists. */
  indexKept: boolean
}

/** `blobs/ab/cd/<hash>`: the store's fan-out of a blob hash. */
export function blobKey (hash: string): string {
  return `blobs/${hash.slice(0, 2)}/${hash.slice(2, 4)}/${hash}`
}

export async function main (options: ContentAddressedStoreOptions): Promise<ContentAddressedStoreResult> {
  const log = options.log ?? console.log
  const work = options.work ?? join(options.store, '.keydiff')
  const indexDirectory = join(work, 'index')
  const lock = lockFile({ path: join(work, 'lock'), target: `blob store ${options.store}` })

  // One lease covers the index build, the plan and the deletes: nothing may add a
  // repository's references or delete blobs in between.
  const lease = await lock.acquire({ force: options.force === true })
  if (lease.takenOver !== undefined) log(`took the lock over from ${lease.takenOver.owner} on ${lease.takenOver.host} (since ${lease.takenOver.startedAt})`)
  let index: ReferenceIndex | undefined
  try {
    if (options.reuseIndex === true && existsSync(join(indexDirectory, 'db'))) {
      index = await ReferenceIndex.open(indexDirectory)
      log(`reusing the index ${indexDirectory}: ${index.meta.count} blobs in use, scanned from ${index.scanStartedAt ?? '?'}`)
    } else {
      if (existsSync(join(indexDirectory, 'db'))) await ReferenceIndex.drop(indexDirectory)
      index = await ReferenceIndex.open(indexDirectory, { create: true })
      for (const repo of options.repos) {
        const name = basename(repo).replace(/\.[^.]*$/, '')
        const added = await index.add(pipe(linesSource(repo, { name: `repo:${name}` }), map(entry => blobKey(entry.key))), { source: name })
        log(`indexed repository ${name}: ${added.references} blob references`)
      }
      log(`index ${indexDirectory}: ${index.meta.count} distinct blobs in use`)
    }

    // The index answers the diff; plan() then applies the fence from the index's scan start
    // (an empty reference source carries it), the protected patterns and writes the plan.
    const run = diffIndex({ candidates: directorySource({ root: options.store, prefix: 'blobs/' }), index })
    const scanStartedAt = new Date(index.scanStartedAt ?? Date.now())
    const orphans = keySource(async function * () {
      for await (const part of run) if (part.kind === 'orphans') yield part.entries
    }, { name: `orphans of dir:${options.store}` })
    const fence = keySource([], { name: `index:${indexDirectory}`, sorted: true, scanStartedAt: () => scanStartedAt })
    // The guards judge a diff of the store against its references; here the diff was the
    // index's, and plan() sees only its orphans, so they are off for this call.
    const unguarded = { allowEmptyReferences: true, maxMissingShare: 1, maxOrphanShare: 1 }
    const summary = await plan({ candidates: orphans, references: fence, store: resolve(options.store), out: join(work, 'plan.jsonl'), grace: options.grace ?? '24h', ...unguarded })
    log(`${run.stats.candidates.count} blobs stored, ${run.stats.orphans.count} used by no repository; the plan's candidates are those`)
    log(formatPlanSummary(summary))

    let applied: ApplyResult | undefined
    if (options.dryRun !== true) {
      applied = await apply(summary.path, directoryDeleteSink({ root: options.store }), { lock: null })
      log(`deleted ${applied.done} blobs (${applied.bytesDone} bytes), ${applied.failed} failed, ${applied.skipped} already done`)
    }
    await index.close()
    index = undefined
    if (options.keepIndex === false) {
      await ReferenceIndex.drop(indexDirectory)
      log(`dropped the index ${indexDirectory}`)
    }
    return { summary, applied, takenOver: lease.takenOver, indexKept: existsSync(join(indexDirectory, 'db')) }
  } finally {
    await index?.close()
    await lease.release()
  }
}

/** A demo store: 200 blobs, two repositories using 150 of them, and one blob written just now. */
async function demoStore (): Promise<{ store: string, repos: string[] }> {
  const root = await mkdtemp(join(tmpdir(), 'keydiff-cas-'))
  const store = join(root, 'store')
  const hashes = Array.from({ length: 201 }, (_, i) => createHash('sha1').update(`blob ${i}`).digest('hex'))
  const old = new Date(Date.now() - 3 * 24 * 3600_000)
  for (const [i, hash] of hashes.entries()) {
    const path = join(store, blobKey(hash))
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, `blob ${i}`)
    if (i < 200) await utimes(path, old, old)
  }
  const repos = [join(root, 'app.txt'), join(root, 'docs.txt')]
  await writeFile(repos[0] as string, hashes.slice(0, 100).join('\n'))
  await writeFile(repos[1] as string, hashes.slice(50, 150).join('\n'))
  console.log(`demo store ${store}`)
  return { store, repos }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const demo = process.env.STORE === undefined ? await demoStore() : undefined
  await main({
    store: process.env.STORE ?? (demo as { store: string }).store,
    repos: process.env.REPOS?.split(',') ?? (demo as { repos: string[] }).repos,
    force: process.env.FORCE === '1',
    dryRun: process.env.DRY_RUN === '1',
    keepIndex: process.env.KEEP_INDEX !== '0'
  })
}
