import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { PlanGuardOptions, KeyRange } from '@keydiff/core/adapter'
import { FlowProducer, Queue, QueueEvents } from 'bullmq'
import { PlanError } from '@keydiff/core'
import { fileDigest } from './file-digest.ts'
import { followFlow, type DistributedProgress, type FollowOptions } from './follow-flow.ts'
import { formatRange } from './key-ranges.ts'
import type { ApplyPartTask, PartApplied, PartDescriptor, PlanShardTask } from './part-descriptor.ts'
import { checkRunId, DEFAULT_QUEUE, JOB, newRunId, queueConnection } from './queue-connection.ts'
import { buildManifest, missingRanges, readManifest, writeManifest, type RunManifest } from './run-manifest.ts'
import type { ShardFailedError } from './shard-failure.ts'
import type { ScatterDescriptor, ScatterTask } from './scatter-references.ts'
import type { RunDescription } from './shard-opener.ts'

export interface CoordinatorOptions {
  /** Redis, as `redis://host:6379/0`. Required. */
  connection: string
  /** The queue the workers serve. @default 'keydiff' */
  queue?: string
  /** The shared directory, as this machine mounts it. Required. */
  shared: string
  /** The run's description, opened by each worker for its range. Secrets stay `${VAR}` names. Required. */
  description: RunDescription
  /** Tries per job before it fails the run; a failure the same inputs would repeat is not retried. @default 3 */
  attempts?: number
  /** First delay between tries, doubled each time, in ms. @default 1000 */
  backoff?: number
  /** Called whenever a worker reports, with one live object. */
  onProgress?: (progress: Readonly<DistributedProgress>) => void
  /** Cancels the run: its jobs not yet taken are removed. */
  signal?: AbortSignal
}

export interface DistributedPlanOptions extends CoordinatorOptions {
  /** The shards, in key order, covering the whole key space (`hexRanges`, `sampledRanges`). Required. */
  ranges: readonly KeyRange[]
  /** The run's id, its directory in shared storage. @default the start time and a random tail */
  run?: string
  /** When the references were true: every shard's fence counts back from it. @default now, before any shard starts */
  referencesAsOf?: Date | string
  /** The plausibility guards, judged once on the merged counts. @default core's defaults */
  guards?: PlanGuardOptions
  /** The reference sources' names, for a refusal's message. */
  references?: readonly string[]
  /**
   * Split a shard while it runs once it has listed this many keys (from a sorted listing): its
   * part ends there and a new job of the flow takes the rest of its range, so a skewed key
   * space does not leave one shard far longer than the others. @default never
   */
  splitAbove?: number
  /**
   * Read the references once before the shards start, writing each key into the file of the
   * shard whose range holds it, so that every shard reads its own references instead of every
   * source whole (a file or a query that cannot be read by range). Costs one more pass and the
   * references' size in shared storage; pays from a few shards up. @default false
   */
  scatterReferences?: boolean
  /**
   * When a shard fails, keep the parts that finished and record them, with the ranges still to
   * plan, in `<shared>/<run>/unfinished.json` (named by the ShardFailedError's `unfinished`).
   * Still no plan: only a manifest is a plan. @default false
   */
  keepFinished?: boolean
  /**
   * Plan only what an earlier attempt of this `run` (with `keepFinished`) left unplanned, with
   * its fence, and write the manifest of its kept parts and the new ones. `ranges` are ignored.
   * @default false
   */
  resume?: boolean
}

/** What a run that failed with `keepFinished` recorded: its fence, the parts kept, the ranges still to plan. */
interface UnfinishedRun {
  referencesAsOf: string
  parts: PartDescriptor[]
  missing: KeyRange[]
}

export interface DistributedPlan {
  run: string
  /** The manifest file: the run's plan. */
  path: string
  manifest: RunManifest
}

/**
 * Plans a run on the workers: a flow of one job per range and a parent that collects their
 * descriptors. Every shard gets the same fence (`referencesAsOf`, fixed here before any shard
 * lists) and plans with the guards off; the guards then judge the merged counts once, and the
 * manifest naming every part and its checksum is written. A shard that fails after its tries
 * fails the run (ShardFailedError, with the shard's own code): never a partial plan.
 */
export async function planDistributed (options: DistributedPlanOptions): Promise<DistributedPlan> {
  if (options.resume === true && options.run === undefined) throw new TypeError('planDistributed: resume needs the run to resume')
  const run = checkRunId(options.run ?? newRunId())
  const unfinishedPath = join(options.shared, run, 'unfinished.json')
  const earlier = options.resume === true ? await readUnfinished(unfinishedPath, options.shared) : undefined
  const ranges = earlier?.missing ?? checkRanges(options.ranges)
  const referencesAsOf = earlier?.referencesAsOf ?? new Date(options.referencesAsOf ?? new Date()).toISOString()
  const kept = earlier?.parts ?? []
  await mkdir(join(options.shared, run, 'parts'), { recursive: true })
  const scattered = options.scatterReferences === true ? await scatter(options, run, ranges) : undefined
  const parts = await runFlow<PartDescriptor>(options, 'plan', {
    name: JOB.collectPlan,
    data: { run },
    children: ranges.map((range, shard): { name: string, data: PlanShardTask } => ({ name: JOB.planShard, data: { run, shard: kept.length + shard, range, description: options.description, referencesAsOf, splitAbove: options.splitAbove, references: scattered === undefined ? undefined : { files: scattered.shards[shard] ?? [], names: scattered.names } } })),
    describe: i => `shard ${i} ${formatRange(ranges[i] as KeyRange)}`,
    ...(options.keepFinished === true
      ? {
          onFailed: async (finished: unknown[], failure: ShardFailedError) => {
            const all = [...kept, ...finished as PartDescriptor[]]
            const record: UnfinishedRun = { referencesAsOf, parts: all, missing: missingRanges(all) }
            await writeFile(unfinishedPath, JSON.stringify(record, null, 2) + '\n')
            failure.unfinished = { path: unfinishedPath, missing: record.missing }
          }
        }
      : {})
  })
  const manifest = buildManifest({ run, referencesAsOf, guards: options.guards ?? {}, parts: [...kept, ...parts], ...(options.references === undefined ? {} : { references: options.references }) })
  await rm(unfinishedPath, { force: true })
  await rm(join(options.shared, run, 'references'), { recursive: true, force: true })
  const path = await writeManifest(options.shared, manifest)
  await removeStrayParts(options.shared, manifest)
  return { run, path, manifest }
}

export interface DistributedApplyOptions extends CoordinatorOptions {
  /** The manifest of a distributed plan (`planDistributed`'s path). Required. */
  manifest: string
  /** Actions per second on the store, across every worker. @default no limit */
  keysPerSecond?: number
}

export interface DistributedApply {
  run: string
  parts: PartApplied[]
  planned: number
  done: number
  skipped: number
  dropped: number
  failed: number
  bytesDone: number
}

/**
 * Applies a distributed plan on the workers: the manifest is checked against its checksum (and
 * each part by the job that applies it, before it acts), then a flow of one job per part runs core's `apply()` under the part's lock,
 * with the part's audit log in shared storage, at most `keysPerSecond` across the workers.
 * A retried job resumes from its audit log and acts on no key twice. A part that fails after
 * its tries fails the run; the parts done stay done, and applying the manifest again resumes.
 */
export async function applyDistributed (options: DistributedApplyOptions): Promise<DistributedApply> {
  // each apply job checks its part's SHA-256 before it acts: the coordinator reads no part
  const manifest = await readManifest(options.manifest, options.shared, { parts: false })
  const rateKey = `keydiff:rate:${manifest.store ?? manifest.run}`
  const applied = await runFlow<PartApplied>({ attempts: 5, ...options }, 'apply', {
    name: JOB.collectApply,
    data: { run: manifest.run },
    children: manifest.parts.map((part): { name: string, data: ApplyPartTask } => ({ name: JOB.applyPart, data: { run: manifest.run, part, description: options.description, keysPerSecond: options.keysPerSecond, rateKey } })),
    describe: i => `part ${i} ${formatRange((manifest.parts[i] as PartDescriptor).range)}`
  })
  const parts = [...applied].sort((a, b) => a.shard - b.shard)
  const sum = (field: 'planned' | 'done' | 'skipped' | 'dropped' | 'failed' | 'bytesDone'): number => parts.reduce((total, part) => total + part[field], 0)
  return { run: manifest.run, parts, planned: sum('planned'), done: sum('done'), skipped: sum('skipped'), dropped: sum('dropped'), failed: sum('failed'), bytesDone: sum('bytesDone') }
}

/** Routes the references into per-shard files with one job, before the shards start. */
async function scatter (options: DistributedPlanOptions, run: string, ranges: readonly KeyRange[]): Promise<ScatterDescriptor> {
  const [scattered] = await runFlow<ScatterDescriptor>(options, 'plan', {
    name: JOB.collectScatter,
    data: { run },
    children: [{ name: JOB.scatter, data: { run, ranges: [...ranges], description: options.description } satisfies ScatterTask }],
    describe: () => 'scattering the references'
  })
  if (scattered === undefined) throw new TypeError('scatter: the job returned nothing')
  return scattered
}

interface FlowSpec {
  name: string
  data: unknown
  children: Array<{ name: string, data: unknown }>
  describe: (index: number) => string
  onFailed?: FollowOptions['onFailed']
}

/** The record of an unfinished run, its kept parts checked against their checksums. */
async function readUnfinished (path: string, shared: string): Promise<UnfinishedRun> {
  let record: UnfinishedRun
  try {
    record = JSON.parse(await readFile(path, 'utf8')) as UnfinishedRun
  } catch (error) {
    throw new PlanError(path, `cannot be read: nothing to resume (${(error as Error).message})`, { cause: error })
  }
  for (const part of record.parts) {
    const found = await fileDigest(join(shared, part.path))
    if (found.sha256 !== part.sha256) throw new PlanError(join(shared, part.path), 'does not match its checksum: plan the run again from the start', { code: 'KEYDIFF_PLAN_CHECKSUM' })
  }
  return record
}

/** Adds a flow, follows it to its end and closes the connections it opened. */
async function runFlow<T> (options: CoordinatorOptions, phase: DistributedProgress['phase'], spec: FlowSpec): Promise<T[]> {
  const connection = queueConnection(options.connection)
  const queueName = options.queue ?? DEFAULT_QUEUE
  const flows = new FlowProducer({ connection })
  const queue = new Queue(queueName, { connection })
  const events = new QueueEvents(queueName, { connection })
  try {
    await events.waitUntilReady()
    const tree = await flows.add({
      name: spec.name,
      queueName,
      data: spec.data,
      children: spec.children.map(child => ({
        ...child,
        queueName,
        opts: {
          attempts: options.attempts ?? 3,
          backoff: { type: 'exponential', delay: options.backoff ?? 1000 },
          // a failure fails the run at once, unless the finished parts are to be kept
          ...(spec.onFailed === undefined ? { failParentOnFailure: true } : { ignoreDependencyOnFailure: true })
        }
      }))
    })
    return await followFlow<T>(tree, queue, events, { phase, describe: spec.describe, onProgress: options.onProgress, signal: options.signal, onFailed: spec.onFailed })
  } finally {
    await Promise.allSettled([events.close(), queue.close(), flows.close()])
  }
}

/**
 * Removes the parts of attempts that did not count (a worker killed mid-shard, a job retried):
 * the manifest names the one part of each shard that the run keeps.
 */
async function removeStrayParts (shared: string, manifest: RunManifest): Promise<void> {
  const kept = new Set(manifest.parts.map(part => basename(part.path)))
  const directory = join(shared, manifest.run, 'parts')
  for (const name of await readdir(directory)) {
    if (!kept.has(name)) await rm(join(directory, name), { force: true })
  }
}

/** The ranges must be in key order and cover the key space: each starts where the last ended. */
function checkRanges (ranges: readonly KeyRange[]): readonly KeyRange[] {
  if (!Array.isArray(ranges) || ranges.length === 0) throw new TypeError('planDistributed: ranges are required (hexRanges(n) covers the key space)')
  let after: string | undefined
  for (const [i, range] of ranges.entries()) {
    const last = i === ranges.length - 1
    if (range.after !== after || last !== (range.upTo === undefined)) throw new TypeError(`planDistributed: range ${i} ${formatRange(range)} does not start where the one before ended, or the last is bounded: the ranges must cover the whole key space in order`)
    after = range.upTo
  }
  return ranges
}
