import { parentPort, workerData } from 'node:worker_threads'
import { threadErrorReport } from '../util/thread-error.ts'
import { PartitionClaims, type DrainJob, type DrainReport, type DrainResult } from './drain-thread.ts'
import { OrphanLog } from './orphan-marks.ts'
import { PartitionDrain, type PartitionFiles } from './partition-drain.ts'
import { spillDirAt } from './work-dir.ts'

// The entry of a DrainThread: drains the partitions it claims, then reports its orphan log
// (its missing references' log, and the missing references it counted).

const job = workerData as DrainJob
const claims = new PartitionClaims(job.partitions.length, job.claims)

function drainClaimed (): DrainResult {
  const drain = new PartitionDrain(job.readChunk, job.missing)
  const dir = spillDirAt(job.dir)
  const log = new OrphanLog(dir, job.log, job.logBuffer)
  const missingLog = job.missing === 'keys' ? new OrphanLog(dir, `${job.log}-missing`, job.logBuffer) : undefined
  try {
    for (let p = claims.next(); p >= 0; p = claims.next()) drain.drain(job.partitions[p] as PartitionFiles, log, missingLog)
    const segments = log.close()
    const missingSegments = missingLog?.close() ?? []
    return { segments, missingSegments, written: log.written + (missingLog?.written ?? 0), missing: drain.missingCounted }
  } catch (error) {
    log.release()
    missingLog?.release()
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
