import { parentPort, workerData } from 'node:worker_threads'
import { threadErrorReport } from '../util/thread-error.ts'
import { PartitionClaims, type DrainJob, type DrainReport, type DrainResult } from './drain-thread.ts'
import { OrphanLog } from './orphan-marks.ts'
import { PartitionDrain, type PartitionFiles } from './partition-drain.ts'
import { spillDirAt } from './work-dir.ts'

// The entry of a DrainThread: drains the partitions it claims, then reports its orphan log
// (and the missing references it counted).

const job = workerData as DrainJob
const claims = new PartitionClaims(job.partitions.length, job.claims)

function drainClaimed (): DrainResult {
  const drain = new PartitionDrain(job.readChunk, job.countMissing === true ? 'count' : undefined)
  const log = new OrphanLog(spillDirAt(job.dir), job.log, job.logBuffer)
  try {
    for (let p = claims.next(); p >= 0; p = claims.next()) {
      // Without missing keys a partition's drain yields nothing: running it is the work.
      for (const part of drain.drain(job.partitions[p] as PartitionFiles, log)) void part
    }
    const segments = log.close()
    return { segments, written: log.written, missing: drain.missingCounted }
  } catch (error) {
    log.release()
    throw error
  }
}

let report: DrainReport
try {
  report = { result: drainClaimed() }
} catch (error) {
  claims.stop()
  report = { error: threadErrorReport(error) }
}
parentPort?.postMessage(report)
