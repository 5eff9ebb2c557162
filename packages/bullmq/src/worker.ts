import type { ApplyResult, PlanProgress } from '@keydiff/core'
import { Queue, Worker, type Job } from 'bullmq'
import { applyPart } from './apply-part.ts'
import type { ApplyPartTask, PlanShardTask } from './part-descriptor.ts'
import { planShard } from './plan-shard.ts'
import { scatterReferences, type ScatterTask } from './scatter-references.ts'
import { DEFAULT_QUEUE, JOB, queueConnection } from './queue-connection.ts'
import { StoreRateLimit } from './rate-limit.ts'
import { asJobFailure } from './shard-failure.ts'
import type { ShardOpener } from './shard-opener.ts'

export interface DistributedWorkerOptions {
  /** Redis, as `redis://host:6379/0`. Required. */
  connection: string
  /** The queue of the runs this worker serves. @default 'keydiff' */
  queue?: string
  /** The shared directory, as this machine mounts it: plan parts, manifests and audit logs. Required. */
  shared: string
  /** Opens a run's description for a range, with this process's environment. Required. */
  opener: ShardOpener
  /** Jobs at a time. @default 1 */
  concurrency?: number
  /**
   * How long a job stays this worker's without a renewal: a worker that dies gives its job to
   * another after about this long. Also the lease of an apply part's lock. @default 30000
   */
  lockDuration?: number
  /** How often stalled jobs (of dead workers) are looked for. @default 30000 */
  stalledInterval?: number
  /** How often a running job reports its keys listed or acted on. @default 1000 */
  progressInterval?: number
  /** Told of every job this worker finished or failed, for a log. @default none */
  onJob?: (report: JobReport) => void
  /** Told of a connection error (the client retries by itself). @default none */
  onError?: (error: Error) => void
}

/** A job this worker finished or failed. */
export interface JobReport {
  /** `plan-shard`, `apply-part`, `collect-plan`, `collect-apply`. */
  name: string
  id: string
  outcome: 'completed' | 'failed'
  /** Why it failed; it may be retried, by this worker or another. */
  reason?: string | undefined
}

/** Progress a job reports through BullMQ while it runs. */
export interface JobProgressReport {
  /** Candidates listed so far (plan) or keys acted on (apply). */
  listed: number
  planned: number
  done: number
}

export interface DistributedWorker {
  /** Finishes the jobs in hand, then stops taking jobs. */
  close: () => Promise<void>
}

/**
 * A worker of distributed runs: plans shards, collects a flow's results, and applies plan
 * parts. Any number of them, on any machines that share Redis and the shared directory,
 * serve one queue; each opens stores and databases with its own environment.
 */
export async function startWorker (options: DistributedWorkerOptions): Promise<DistributedWorker> {
  const lockDuration = options.lockDuration ?? 30_000
  const every = options.progressInterval ?? 1000
  const limits = new Map<string, StoreRateLimit>()
  const limitOf = (task: ApplyPartTask): StoreRateLimit | undefined => {
    if (task.keysPerSecond === undefined) return undefined
    const key = `${task.rateKey}:${task.keysPerSecond}`
    let limit = limits.get(key)
    if (limit === undefined) limits.set(key, limit = new StoreRateLimit(options.connection, task.rateKey, task.keysPerSecond))
    return limit
  }

  const reporting = async <T> (job: Job, read: () => JobProgressReport | undefined, work: () => Promise<T>): Promise<T> => {
    const report = (): void => {
      const figures = read()
      if (figures !== undefined) job.updateProgress({ ...figures }).catch(() => {})
    }
    const timer = setInterval(report, every)
    timer.unref()
    try {
      return await work()
    } finally {
      clearInterval(timer)
      report()
    }
  }

  const processor = async (job: Job, _token?: string, signal?: AbortSignal): Promise<unknown> => {
    try {
      if (job.name === JOB.planShard) {
        const task = job.data as PlanShardTask
        // the rest of a split shard is a job of a known id, so that a retry finds it and ends its part where it begins
        const restId = `${String(job.id)}-rest`
        const earlier = task.splitAbove === undefined ? undefined : await queue().getJob(restId)
        let live: Readonly<PlanProgress> | undefined
        const outcome = await reporting(job, () => live === undefined ? undefined : { listed: live.diff.candidates.count, planned: live.planned, done: 0 }, async () =>
          await planShard(task, { shared: options.shared, opener: options.opener, jobId: String(job.id), attempt: job.attemptsMade + 1, onProgress: progress => { live = progress }, signal, splitAt: (earlier?.data as PlanShardTask | undefined)?.range.after }))
        if (outcome.rest !== undefined && job.parent?.id !== undefined) {
          // added before this job completes, so the parent waits for it too
          await queue().add(JOB.planShard, { ...task, range: outcome.rest }, {
            jobId: restId,
            parent: { id: job.parent.id, queue: job.parent.queueKey },
            attempts: job.opts.attempts,
            backoff: job.opts.backoff,
            failParentOnFailure: job.opts.failParentOnFailure,
            ignoreDependencyOnFailure: job.opts.ignoreDependencyOnFailure
          })
        }
        return outcome.part
      }
      if (job.name === JOB.applyPart) {
        const task = job.data as ApplyPartTask
        let live: Readonly<ApplyResult> | undefined
        return await reporting(job, () => live === undefined ? undefined : { listed: 0, planned: live.planned, done: live.done + live.skipped }, async () =>
          await applyPart(task, { shared: options.shared, opener: options.opener, limit: limitOf(task), lockTtl: lockDuration, onProgress: progress => { live = progress }, signal }))
      }
      if (job.name === JOB.scatter) {
        return await scatterReferences(job.data as ScatterTask, { shared: options.shared, opener: options.opener, jobId: String(job.id), attempt: job.attemptsMade + 1, signal })
      }
      if (job.name === JOB.collectPlan || job.name === JOB.collectApply || job.name === JOB.collectScatter) {
        return Object.values(await job.getChildrenValues())
      }
      throw new Error(`unknown job ${JSON.stringify(job.name)}`)
    } catch (error) {
      throw asJobFailure(error)
    }
  }

  let jobs: Queue | undefined
  const queue = (): Queue => (jobs ??= new Queue(options.queue ?? DEFAULT_QUEUE, { connection: queueConnection(options.connection) }))

  const worker = new Worker(options.queue ?? DEFAULT_QUEUE, processor, {
    connection: queueConnection(options.connection),
    concurrency: options.concurrency ?? 1,
    lockDuration,
    stalledInterval: options.stalledInterval ?? 30_000,
    autorun: true
  })
  // a Redis that restarts is retried by the client; the event is reported, not thrown
  worker.on('error', error => { options.onError?.(error) })
  // A worker that lost its job's lock stops the job: another worker may hold it already.
  // A plan part is attempt-unique anyway, and an apply part is also under its own lease lock.
  worker.on('lockRenewalFailed', ids => { for (const id of ids) worker.cancelJob(id, 'the job\'s lock was lost: another worker may hold it') })
  worker.on('completed', job => { options.onJob?.({ name: job.name, id: String(job.id), outcome: 'completed' }) })
  worker.on('failed', (job, error) => { options.onJob?.({ name: job?.name ?? '?', id: String(job?.id), outcome: 'failed', reason: error.message }) })
  await worker.waitUntilReady()
  return {
    close: async () => {
      await worker.close()
      await jobs?.close()
      await Promise.all([...limits.values()].map(async limit => { await limit.close() }))
    }
  }
}
