import { basename, dirname, join, resolve } from 'node:path'
import { compareKeys, formatBytes, KeydiffError, type LockLease, formatCount } from '@keydiff/core'
import type { DistributedApply, DistributedPlan, DistributedProgress } from '@keydiff/bullmq'
import type { KeyRange, StoreSection } from '@keydiff/core/adapter'
import { DEFAULT_CONFIG, loadConfig } from '../config/load-config.ts'
import { importPeer } from '../drivers/import-peer.ts'
import { loadDriver } from '../drivers/load-driver.ts'
import type { KeydiffConfig, RunConfig } from '../config/config-types.ts'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { Progress, progressMode, type ProgressState } from '../report/progress.ts'
import { describeRun, openRun } from '../run/run-description.ts'
import { UsageError } from '../usage-error.ts'
import { runGuards } from '../run/plan-settings.ts'
import { rangeReads } from './range-index-check.ts'
import { verifySortedReferences } from './sorted-file-check.ts'

export const RUN_QUEUE_USAGE = `Usage: keydiff run --queue <redis-url> --shared <dir> [--shards <n>] [options]
       keydiff run --queue <redis-url> --status

Runs the cleaning runs of a TOML config on the workers of a queue (keydiff worker): each
run is split into --shards key ranges, planned by the workers with one fence, checked by
the guards once on the merged counts and recorded as a manifest of plan parts in the
shared directory; then, unless --dry-run or the run has no action, the parts are applied
by the workers under the store's lock, with their audit logs in the shared directory.
Progress across all workers (keys listed, shards done) goes to stderr.

Options:
  --queue <redis-url>      Redis, as redis://host:6379/0                (required)
  --shared <dir>           the directory the workers share              (required)
  --shards <n>             key ranges per run                           (default: 16)
  --split-prefix <text>    what keys start with before their hex digits
                           (blobs/ for blobs/ab/cd…): ranges split there (default: none)
  --split-groups <n,n>     hex digits per directory after it (2,2 for
                           blobs/ab/cd/…), past 16 or 256 shards          (default: none)
  --split-from <manifest>  split where an earlier run's shards ended, joined
                           so each shard holds about the same share of the
                           keys that run listed (its manifest.json)       (default: none)
  --split-inventory <manifest.json>
                           split at quantiles of a sample of an S3 inventory
                           report's keys                                   (default: none)
  --split-discover         split at the prefixes that listing each run's
                           store level by level reveals (images/,
                           images/2024/…), for keys that are not hex    (default: off)
  --split-delimiter <d>    what separates those levels                  (default: /)
  --split-above <n>        a shard that lists more keys than this hands
                           the rest of its range to a new job            (default: never)
  --scatter-references     read the references once into per-shard files
                           before the shards start, instead of once a shard (default: off)
  --require-range-index    refuse a run whose shards would each scan a whole
                           PostgreSQL table for their key range, instead of
                           falling back to --scatter-references          (default: off)
  --keep-finished          when a shard fails, let the others finish and keep
                           their parts for --resume                     (default: off)
  --resume <run-id>        plan only the ranges a --keep-finished run left,
                           with its fence (one run: use --only)
  --queue-name <name>      the workers' queue                           (default: keydiff)
  --keys-per-second <n>    actions per second on the store, all workers (default: no limit)
  --config <file>          the config file                              (default: ${DEFAULT_CONFIG})
  --only <name>            run only this run; repeat for several        (default: every run)
  --dry-run                plan only: nothing is changed                (default: off)
  --force                  take over a lock held by another sweep       (default: off)
  --status                 show the runs in the queue now (jobs waiting,
                           running with their progress, done, failed)
  --json                   print the outcome as JSON for programs
  --quiet                  no progress and no summary
  -h, --help               show this help

Exit codes: 0 ok, 1 runtime error (a shard failed: no plan), 2 usage or config error,
3 some keys failed to act.
`

interface QueuedOutcome {
  name: string
  plan: DistributedPlan
  applied: DistributedApply | undefined
}

export async function runQueueCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseOptions(argv, {
    queue: { type: 'string' },
    shared: { type: 'string' },
    shards: { type: 'string' },
    'split-prefix': { type: 'string' },
    'split-groups': { type: 'string' },
    'split-from': { type: 'string' },
    'split-inventory': { type: 'string' },
    'split-discover': { type: 'boolean' },
    'split-delimiter': { type: 'string' },
    'split-above': { type: 'string' },
    'keep-finished': { type: 'boolean' },
    'scatter-references': { type: 'boolean' },
    'require-range-index': { type: 'boolean' },
    resume: { type: 'string' },
    'queue-name': { type: 'string' },
    'keys-per-second': { type: 'string' },
    config: { type: 'string' },
    only: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    status: { type: 'boolean' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, RUN_QUEUE_USAGE)
  const out = new LineWriter(io.stdout, false)
  if (values.help === true) {
    await out.write(RUN_QUEUE_USAGE)
    return 0
  }
  if (values.queue === undefined) throw new UsageError('--queue is required (redis://host:6379/0)', RUN_QUEUE_USAGE)
  if (values.status === true) return await showStatus(values.queue, values['queue-name'] ?? 'keydiff', values.json === true, out)
  if (values.shared === undefined) throw new UsageError('--shared is required: the directory the workers share', RUN_QUEUE_USAGE)
  const shards = positive(values.shards ?? '16', '--shards')
  const splitAbove = values['split-above'] === undefined ? undefined : positive(values['split-above'], '--split-above')
  const keysPerSecond = values['keys-per-second'] === undefined ? undefined : positive(values['keys-per-second'], '--keys-per-second')
  if (values['require-range-index'] === true && values['scatter-references'] === true) throw new UsageError('--require-range-index checks the range reads that --scatter-references replaces: give one of them', RUN_QUEUE_USAGE)
  const file = resolve(values.config ?? DEFAULT_CONFIG)
  const config = await loadConfig(file)
  const only = values.only ?? []
  const unknown = only.filter(name => !config.runs.some(run => run.name === name))
  if (unknown.length > 0) throw new UsageError(`no run named ${unknown.map(name => JSON.stringify(name)).join(', ')} in ${file} (runs: ${config.runs.map(run => run.name).join(', ')})`, RUN_QUEUE_USAGE)
  const runs = only.length === 0 ? config.runs : config.runs.filter(run => only.includes(run.name))
  if (values.resume !== undefined && runs.length !== 1) throw new UsageError(`--resume continues one run: choose it with --only (runs: ${runs.map(run => run.name).join(', ')})`, RUN_QUEUE_USAGE)

  const splits = [values['split-prefix'] ?? values['split-groups'], values['split-from'], values['split-inventory'], values['split-discover']].filter(given => given !== undefined)
  if (splits.length > 1) throw new UsageError('give one way to split the key space: --split-prefix/--split-groups, --split-from, --split-inventory or --split-discover', RUN_QUEUE_USAGE)
  if (values['split-delimiter'] !== undefined && values['split-discover'] !== true) throw new UsageError('--split-delimiter is the delimiter of --split-discover: give both', RUN_QUEUE_USAGE)
  const { applyDistributed, planDistributed } = await import('@keydiff/bullmq')
  const rangesOf = await splitRanges(shards, values, resolve(values.shared), config, runs)
  const cancel = new AbortController()
  const onSignal = (): void => { cancel.abort() }
  process.once('SIGINT', onSignal)
  const common = { connection: values.queue, queue: values['queue-name'] ?? 'keydiff', shared: resolve(values.shared), signal: cancel.signal }
  const mode = progressMode({ isTTY: io.isTTY, quiet: values.quiet === true || values.json === true })
  const outcomes: QueuedOutcome[] = []
  try {
    for (const run of runs) {
      const description = describeRun(config, run.name)
      const ranges = rangesOf(run.name)
      // a reference every shard would read whole is read once instead (or the run refused)
      const scatter = values['scatter-references'] === true ||
        await rangeReads(config, run, ranges, { require: values['require-range-index'] === true, warn: line => { io.stderr.write(line + '\n') } }) === 'scatter'
      // a sorted file of references is checked once here; then each shard reads only its byte range
      const sortedFiles = scatter ? [] : await verifySortedReferences(config, run, ranges, { warn: line => { io.stderr.write(line + '\n') }, signal: cancel.signal })
      const feed = progressFeed(run.name)
      const progress = new Progress(feed.read, { stream: io.stderr, mode }).start()
      let plan: DistributedPlan
      let applied: DistributedApply | undefined
      try {
        plan = await planDistributed({
          ...common,
          ...(values.resume === undefined ? {} : { run: values.resume, resume: true }),
          ...(values['keep-finished'] === true ? { keepFinished: true } : {}),
          ...(scatter ? { scatterReferences: true } : {}),
          description: describeRun(config, run.name, { sortedFiles }),
          ranges,
          guards: runGuards(run),
          ...(splitAbove === undefined ? {} : { splitAbove }),
          ...(run.referencesAsOf === undefined ? {} : { referencesAsOf: run.referencesAsOf }),
          references: run.references.map(reference => 'file' in reference ? reference.file : reference.database),
          onProgress: feed.update
        }).catch((error: unknown) => { throw withResumeHint(error) })
        if (values['dry-run'] !== true && run.action !== undefined && plan.manifest.counts.planned > 0) {
          const manifest = plan.path
          applied = await underStoreLock(description, values.force === true, async () => await applyDistributed({ ...common, description, manifest, keysPerSecond, onProgress: feed.update }))
        }
      } finally {
        progress.stop()
      }
      outcomes.push({ name: run.name, plan, applied })
      if (values.json !== true && values.quiet !== true) await out.write(summary(run, plan, applied, values['dry-run'] === true))
    }
  } finally {
    process.off('SIGINT', onSignal)
  }
  if (values.json === true) await out.write(JSON.stringify(outcomes.map(outcome => ({ name: outcome.name, manifest: outcome.plan.path, run: outcome.plan.run, counts: outcome.plan.manifest.counts, bytes: outcome.plan.manifest.bytes, parts: outcome.plan.manifest.parts.length, applied: outcome.applied ?? null })), null, 2) + '\n')
  return outcomes.some(outcome => (outcome.applied?.failed ?? 0) > 0) ? 3 : 0
}

/** A failed run whose finished parts were kept says how to plan the rest. */
function withResumeHint (error: unknown): unknown {
  const unfinished = (error as { unfinished?: { path: string } }).unfinished
  if (!(error instanceof KeydiffError) || unfinished === undefined) return error
  const run = basename(dirname(unfinished.path))
  return new KeydiffError(`${error.message}; the finished parts are kept (${unfinished.path}): plan the rest with --resume ${run}`, error.code, { cause: error })
}

/** The runs in the queue now, one line each, and a line per job being worked on. */
async function showStatus (connection: string, queue: string, json: boolean, out: LineWriter): Promise<number> {
  const { formatRange, queueStatus } = await import('@keydiff/bullmq')
  const runs = await queueStatus({ connection, queue })
  if (json) {
    await out.write(JSON.stringify(runs, null, 2) + '\n')
    return 0
  }
  if (runs.length === 0) {
    await out.write(`no runs in queue ${queue}\n`)
    return 0
  }
  const n = formatCount
  for (const status of runs) {
    await out.write(`${status.run} ${status.phase}: ${Object.entries(status.jobs).map(([state, count]) => `${count} ${state}`).join(', ')}\n`)
    for (const job of status.active) {
      const progress = job.progress === undefined ? 'starting' : status.phase === 'plan' ? `${n(job.progress.listed)} keys listed, ${n(job.progress.planned)} planned` : `${n(job.progress.done)} of ${n(job.progress.planned)} keys acted on`
      await out.write(`  job ${job.id} ${formatRange(job.range)}: ${progress}\n`)
    }
  }
  return 0
}

/** Applies while holding the store's lock in this process: one sweep per store, however many workers act on it. */
async function underStoreLock<T> (description: ReturnType<typeof describeRun>, force: boolean, work: () => Promise<T>): Promise<T> {
  const opened = await openRun(description)
  let lease: LockLease | undefined
  try {
    lease = await (await opened.target()).lock.acquire({ force })
    return await work()
  } finally {
    await lease?.release()
    await opened.close()
  }
}

/** The progress phases of one run: the shards' listing, then the parts' apply. */
function progressFeed (name: string): { read: () => ProgressState[], update: (progress: Readonly<DistributedProgress>) => void } {
  let planning: DistributedProgress | undefined
  let applying: DistributedProgress | undefined
  return {
    read: () => [
      ...(planning === undefined ? [] : [{ phase: `${name}: plan, ${planning.done}/${planning.jobs} shards done`, count: planning.listed, unit: 'keys listed', orphans: planning.planned }]),
      ...(applying === undefined ? [] : [{ phase: `${name}: apply, ${applying.done}/${applying.jobs} parts done`, count: applying.acted, estimate: applying.planned > 0 ? applying.planned : undefined, unit: 'keys acted on' }])
    ],
    update: progress => {
      if (progress.phase === 'plan') planning = { ...progress }
      else applying = { ...progress }
    }
  }
}

function summary (run: RunConfig, plan: DistributedPlan, applied: DistributedApply | undefined, dryRun: boolean): string {
  const n = formatCount
  const { manifest } = plan
  const { counts } = manifest
  const lines = [
    `== ${run.name} (${manifest.store ?? 'no store'}) on ${manifest.parts.length} shards`,
    `plan ${plan.path}`,
    `${n(counts.candidates)} candidates, ${n(counts.references)} reference rows read, ${n(counts.orphans)} orphans, ${n(counts.planned)} planned (${formatBytes(manifest.bytes.planned)}); left out: ${n(counts.tooYoung)} too young, ${n(counts.protected)} protected, ${n(counts.hidden ?? 0)} hidden, ${n(counts.undated)} without a modification time`,
    ...manifest.prefixes.map(total => `  ${(total.prefix === '' ? '(top level)' : total.prefix).padEnd(24)} ${n(total.count).padStart(12)}  ${formatBytes(total.bytes)}`)
  ]
  if (applied !== undefined) lines.push(`${run.action?.type ?? 'action'}: ${n(applied.done)} done, ${n(applied.skipped)} already done, ${n(applied.dropped)} dropped by the re-check, ${n(applied.failed)} failed (audit logs in ${dirname(plan.path)}/apply)`)
  else if (dryRun) lines.push('dry run: nothing was changed')
  else if (counts.planned > 0 && run.action === undefined) lines.push('no action configured: nothing was changed')
  return lines.join('\n') + '\n\n'
}

function positive (text: string, option: string): number {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${option} ${JSON.stringify(text)} is not a positive integer`, RUN_QUEUE_USAGE)
  return value
}

/**
 * The key ranges of each run: at the split points its store discovers, at quantiles of an S3
 * inventory's keys, where an earlier run's shards ended (joined by the keys they listed), or
 * at hex prefixes. Discovered points are found for every run before the first one starts.
 */
async function splitRanges (shards: number, values: { 'split-prefix'?: string | undefined, 'split-groups'?: string | undefined, 'split-from'?: string | undefined, 'split-inventory'?: string | undefined, 'split-discover'?: boolean | undefined, 'split-delimiter'?: string | undefined }, shared: string, config: KeydiffConfig, runs: readonly RunConfig[]): Promise<(run: string) => KeyRange[]> {
  const bullmq = await import('@keydiff/bullmq')
  if (values['split-discover'] === true) {
    const discovered = new Map<string, KeyRange[]>()
    for (const run of runs) discovered.set(run.name, bullmq.rangesBetween(spread(await discoverPoints(config, run.name, shards * 4, values['split-delimiter']), shards)))
    return run => discovered.get(run) as KeyRange[]
  }
  const ranges = await commonRanges(shards, values, shared)
  return () => ranges
}

/** The ranges of `--split-inventory`, `--split-from` or the hex prefixes, the same for every run. */
async function commonRanges (shards: number, values: { 'split-prefix'?: string | undefined, 'split-groups'?: string | undefined, 'split-from'?: string | undefined, 'split-inventory'?: string | undefined }, shared: string): Promise<KeyRange[]> {
  const bullmq = await import('@keydiff/bullmq')
  if (values['split-inventory'] !== undefined) {
    const { s3InventorySource } = await importPeer(async () => await import('@keydiff/s3'), 'an S3 inventory', ['@keydiff/s3'])
    return bullmq.sampledRanges(await bullmq.sampleKeys(s3InventorySource({ manifest: resolve(values['split-inventory']) })), shards)
  }
  if (values['split-from'] !== undefined) {
    const manifest = await bullmq.readManifest(resolve(values['split-from']), shared)
    return bullmq.countedRanges(manifest.parts, shards)
  }
  const groups = values['split-groups'] === undefined ? undefined : values['split-groups'].split(',').map(group => positive(group, '--split-groups'))
  return bullmq.hexRanges(shards, { prefix: values['split-prefix'] ?? '', ...(groups === undefined ? {} : { groups }) })
}

/**
 * The split points that the driver of a run's store finds (`splitPoints`), under the run's
 * prefix: the store is opened from the run's description, as a worker opens it.
 */
async function discoverPoints (config: KeydiffConfig, name: string, count: number, delimiter: string | undefined): Promise<string[]> {
  const opened = await openRun(describeRun(config, name))
  try {
    const candidates = opened.run.candidates
    if (!('store' in candidates)) throw new UsageError(`--split-discover lists a store, and the run ${JSON.stringify(name)} has no store: its candidates are ${'file' in candidates ? `the file ${candidates.file}` : `the databases of ${candidates.database}`}`, RUN_QUEUE_USAGE)
    const section = opened.config.stores?.[candidates.store] as StoreSection
    const driver = await loadDriver(section.type, opened.baseDir)
    const store = driver.open(section, { env: process.env, baseDir: opened.baseDir, workdir: resolve(opened.baseDir, opened.run.workdir ?? join('.keydiff', name)) })
    try {
      if (store.splitPoints === undefined) throw new UsageError(`--split-discover: a ${section.type} store (${candidates.store}, of the run ${JSON.stringify(name)}) cannot discover split points; split it with --split-prefix, --split-from or --split-inventory`, RUN_QUEUE_USAGE)
      return await store.splitPoints({ count, prefix: candidates.prefix, delimiter })
    } finally {
      await store.close()
    }
  } finally {
    await opened.close()
  }
}

/**
 * `count - 1` of the points, spread evenly over them: fewer when fewer were found. The first
 * point is never one, as it would end a range holding only the keys sorted before every prefix.
 */
function spread (found: readonly string[], count: number): string[] {
  const points = [...new Set(found)].sort(compareKeys)
  const cuts: string[] = []
  for (let i = 1; i < count; i++) {
    const point = points[Math.floor(i * points.length / count)]
    if (point !== undefined && point !== points[0] && point !== cuts[cuts.length - 1]) cuts.push(point)
  }
  return cuts
}
