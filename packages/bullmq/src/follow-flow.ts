import { AbortError } from '@keydiff/core'
import type { JobNode, Queue, QueueEvents } from 'bullmq'
import { ShardFailedError } from './shard-failure.ts'
import type { JobProgressReport } from './worker.ts'

/** A distributed run's progress across every worker, as the coordinator sees it. */
export interface DistributedProgress {
  /** `plan` while shards are planned, `apply` while parts are applied. */
  phase: 'plan' | 'apply'
  /** Jobs of the flow (shards or parts). */
  jobs: number
  /** Jobs finished. */
  done: number
  /** Candidates listed by every shard so far (plan). */
  listed: number
  /** Keys planned so far (plan), or keys in the parts being applied (apply). */
  planned: number
  /** Keys acted on or found done before (apply). */
  acted: number
}

export interface FollowOptions {
  phase: DistributedProgress['phase']
  /** Names job `i` of the flow in a failure: `shard 3 ("4", "8"]`. */
  describe: (index: number) => string
  onProgress?: ((progress: Readonly<DistributedProgress>) => void) | undefined
  signal?: AbortSignal | undefined
  /**
   * Given the results of the jobs that finished when a job failed the flow, before its jobs
   * are removed. With it, the children were added with `ignoreDependencyOnFailure`: every
   * child runs to its end, and the parent completes with the results of those that finished.
   */
  onFailed?: ((finished: unknown[], failure: ShardFailedError) => Promise<void>) | undefined
}

/**
 * Waits for a flow's parent and returns its children's results in order. Progress events of
 * the children are summed as they come. When a child fails for good, the parent fails
 * (`failParentOnFailure`) and this throws ShardFailedError naming that child and its reason;
 * the flow's unfinished jobs are removed so that no worker spends more on a failed run. A
 * flow that finished is removed too, once its results are read.
 */
export async function followFlow<T> (tree: JobNode, queue: Queue, events: QueueEvents, options: FollowOptions): Promise<T[]> {
  const children = (tree.children ?? []).map(child => String(child.job.id))
  const index = new Map(children.map((id, i) => [id, i]))
  // a shard split while it ran goes on as `<id>-rest`, `<id>-rest-rest`, …
  const added = new Set<string>()
  const ours = (jobId: string): boolean => {
    if (index.has(jobId)) return true
    if (!index.has(jobId.replace(/(-rest)+$/, ''))) return false
    added.add(jobId)
    return true
  }
  const figures = new Map<string, JobProgressReport>()
  const finished = new Set<string>()
  const progress: DistributedProgress = { phase: options.phase, jobs: children.length, done: 0, listed: 0, planned: 0, acted: 0 }
  const report = (): void => {
    progress.jobs = children.length + added.size
    progress.done = finished.size
    progress.listed = 0
    progress.planned = 0
    progress.acted = 0
    for (const figure of figures.values()) {
      progress.listed += figure.listed
      progress.planned += figure.planned
      progress.acted += figure.done
    }
    options.onProgress?.(progress)
  }
  const onProgress = ({ jobId, data }: { jobId: string, data: unknown }): void => {
    if (!ours(jobId) || data === null || typeof data !== 'object') return
    figures.set(jobId, data as JobProgressReport)
    report()
  }
  const onCompleted = ({ jobId }: { jobId: string }): void => {
    if (!ours(jobId)) return
    finished.add(jobId)
    report()
  }
  events.on('progress', onProgress)
  events.on('completed', onCompleted)
  const aborted = new Promise<never>((_resolve, reject) => {
    options.signal?.addEventListener('abort', () => { reject(new AbortError(`the distributed ${options.phase} was cancelled`, { cause: options.signal?.reason })) }, { once: true })
  })
  report()
  const polling = { on: true }
  try {
    // the state is also read now and then: an event missed while the listener connected must not leave the run waiting forever
    const values = await Promise.race([tree.job.waitUntilFinished(events), aborted, finishedState(queue, String(tree.job.id), polling)]) as T[]
    if (options.onFailed !== undefined) {
      const ignored = Object.entries(await (await queue.getJob(String(tree.job.id)))?.getIgnoredChildrenFailures() ?? {})
      const [first] = ignored
      if (first !== undefined) {
        const failure = await failedChild(queue, children, `child ${first[0]} failed`, options) ?? new ShardFailedError(`job ${first[0]}`, first[1])
        await options.onFailed(values, failure)
        await queue.remove(String(tree.job.id), { removeChildren: true }).catch(() => 0)
        throw failure
      }
    }
    // the results are in hand: the flow's jobs leave Redis, so runs do not pile up there
    await queue.remove(String(tree.job.id), { removeChildren: true }).catch(() => 0)
    return values
  } catch (error) {
    if (error instanceof ShardFailedError) throw error
    const reason = error instanceof Error ? error.message : String(error)
    const failure = error instanceof AbortError ? error : await failedChild(queue, children, reason, options) ?? new ShardFailedError(`the ${options.phase} flow`, reason)
    if (failure instanceof ShardFailedError && options.onFailed !== undefined) {
      const parent = await queue.getJob(String(tree.job.id))
      await options.onFailed(parent === undefined ? [] : Object.values(await parent.getChildrenValues()), failure)
    }
    // the run is over: jobs not yet taken are removed, jobs in hand finish and are ignored
    await queue.remove(String(tree.job.id), { removeChildren: true }).catch(() => 0)
    throw failure
  } finally {
    polling.on = false
    events.off('progress', onProgress)
    events.off('completed', onCompleted)
  }
}

/** The child that failed the parent (`child bull:<queue>:<id> failed`), named by the job it began as. */
async function failedChild (queue: Queue, children: readonly string[], reason: string, options: FollowOptions): Promise<ShardFailedError | undefined> {
  const named = /child \S*:([^:\s]+) failed/.exec(reason)?.[1]
  for (const id of named === undefined ? children : [named, ...children]) {
    const job = await queue.getJob(id)
    if (job === undefined || await job.getState() !== 'failed') continue
    const first = children.indexOf(id.replace(/(-rest)+$/, ''))
    const what = first === -1 ? `job ${id}` : id === children[first] ? options.describe(first) : `the rest of ${options.describe(first)}`
    return new ShardFailedError(what, job.failedReason)
  }
  return undefined
}

/** The job's return value once its state says it completed; its failure reason, thrown, once it failed. */
async function finishedState (queue: Queue, id: string, polling: { on: boolean }): Promise<unknown> {
  while (polling.on) {
    await new Promise(resolve => setTimeout(resolve, 2000).unref())
    const job = await queue.getJob(id)
    const state = await job?.getState()
    if (state === 'completed') return job?.returnvalue
    if (state === 'failed') throw new Error(job?.failedReason ?? 'the job failed')
  }
  return await new Promise<never>(() => {})
}
