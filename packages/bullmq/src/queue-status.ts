import type { KeyRange } from '@keydiff/core/adapter'
import { Queue } from 'bullmq'
import type { PartDescriptor } from './part-descriptor.ts'
import { DEFAULT_QUEUE, JOB, queueConnection } from './queue-connection.ts'
import type { JobProgressReport } from './worker.ts'

/** One run with jobs in the queue, as `keydiff run --queue --status` shows it. */
export interface RunStatus {
  run: string
  /** `plan` or `apply`: the flow the jobs belong to. */
  phase: 'plan' | 'apply'
  /** Shard or part jobs by state: waiting, active, completed, failed, delayed (retries). */
  jobs: Record<string, number>
  /** The jobs being worked on, with their last progress report. */
  active: Array<{ id: string, range: KeyRange, progress: JobProgressReport | undefined }>
}

export interface QueueStatusOptions {
  connection: string
  /** @default 'keydiff' */
  queue?: string
}

/** The runs that have jobs in the queue now: what is waiting, running, finished and failed, per run. */
export async function queueStatus (options: QueueStatusOptions): Promise<RunStatus[]> {
  const queue = new Queue(options.queue ?? DEFAULT_QUEUE, { connection: queueConnection(options.connection) })
  try {
    const runs = new Map<string, RunStatus>()
    const states = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const
    for (const state of states) {
      for (const job of await queue.getJobs([state])) {
        if (job.name !== JOB.planShard && job.name !== JOB.applyPart) continue
        const data = job.data as { run: string, range?: KeyRange, part?: PartDescriptor }
        const phase = job.name === JOB.planShard ? 'plan' : 'apply'
        const key = `${data.run} ${phase}`
        let status = runs.get(key)
        if (status === undefined) runs.set(key, status = { run: data.run, phase, jobs: {}, active: [] })
        status.jobs[state] = (status.jobs[state] ?? 0) + 1
        if (state === 'active') {
          const progress = typeof job.progress === 'object' && job.progress !== null ? job.progress as unknown as JobProgressReport : undefined
          status.active.push({ id: String(job.id), range: data.range ?? data.part?.range ?? {}, progress })
        }
      }
    }
    return [...runs.values()]
  } finally {
    await queue.close()
  }
}
