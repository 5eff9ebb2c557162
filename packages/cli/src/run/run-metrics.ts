import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Gauge, Registry } from 'prom-client'
import type { RunOutcome } from './run-one.ts'

/** What one run of a `keydiff run` command came to, for its metrics. */
export interface RunFigures {
  name: string
  /** Wall time of the run, from its start to its outcome or failure. */
  seconds: number
  /** When the run ended. */
  at: Date
  /** Undefined when the run failed before it had an outcome. */
  outcome: RunOutcome | undefined
}

const PREFIX = 'keydiff_run_'
const LAST_SUCCESS = `${PREFIX}last_success_timestamp_seconds`
const LAST_FAILURE = `${PREFIX}last_failure_timestamp_seconds`

/**
 * Writes the figures of a command's runs to `path` in Prometheus' text format, for
 * node_exporter's textfile collector, atomically: a temporary file in the same directory
 * renamed over it, so the collector never reads half a file. A run succeeded when it had an
 * outcome with no failed key. The last success and failure times of runs are carried over
 * from the file this one replaces, so `time() - keydiff_run_last_success_timestamp_seconds`
 * keeps growing while a run keeps failing (or is not run at all).
 */
export async function writeRunMetrics (path: string, runs: readonly RunFigures[]): Promise<void> {
  const registry = new Registry()
  const gauge = (name: string, help: string): Gauge<'run'> => new Gauge({ name: `${PREFIX}${name}`, help, labelNames: ['run'], registers: [registry] })
  const success = gauge('success', '1 if the last run finished with no failed key, 0 if it failed or some keys failed')
  const duration = gauge('duration_seconds', 'Wall time of the last run, in seconds')
  const orphans = gauge('orphans_found', 'Stored keys that no reference names, found by the last run (before the grace fence and protections)')
  const planned = gauge('planned_keys', 'Orphaned keys the last run planned to act on')
  const bytes = gauge('planned_bytes', 'Bytes of the keys the last run planned to act on')
  const acted = gauge('acted_keys', 'Keys the last run acted on (deleted, quarantined, ...); 0 for a dry run or a run with no action')
  const actedBytes = gauge('acted_bytes', 'Bytes of the keys the last run acted on')
  const failed = gauge('failed_keys', 'Keys the last run failed to act on after retries')
  const dropped = gauge('dropped_keys', 'Planned keys the last run did not act on because the re-check found them referenced again')
  const lastSuccess = gauge('last_success_timestamp_seconds', 'Unix time at which a run last finished with no failed key')
  const lastFailure = gauge('last_failure_timestamp_seconds', 'Unix time at which a run last failed or had a failed key')

  const carried = await previousTimestamps(path)
  for (const [run, seconds] of carried.success) lastSuccess.set({ run }, seconds)
  for (const [run, seconds] of carried.failure) lastFailure.set({ run }, seconds)
  for (const figures of runs) {
    const run = { run: figures.name }
    const applied = figures.outcome?.applied
    const ok = figures.outcome !== undefined && (applied?.failed ?? 0) === 0
    success.set(run, ok ? 1 : 0)
    duration.set(run, figures.seconds)
    ;(ok ? lastSuccess : lastFailure).set(run, figures.at.getTime() / 1000)
    if (figures.outcome === undefined) continue
    const { counts, bytes: planBytes } = figures.outcome.plan.header
    orphans.set(run, counts.orphans)
    planned.set(run, counts.planned)
    bytes.set(run, planBytes.planned)
    acted.set(run, applied?.done ?? 0)
    actedBytes.set(run, applied?.bytesDone ?? 0)
    failed.set(run, applied?.failed ?? 0)
    dropped.set(run, applied?.dropped ?? 0)
  }

  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`)
  try {
    await writeFile(temporary, await registry.metrics())
    await rename(temporary, path)
  } catch (error) {
    await rm(temporary, { force: true })
    throw error
  }
}

/** The last success and failure times per run in the metrics file at `path`, if there is one. */
async function previousTimestamps (path: string): Promise<{ success: Map<string, number>, failure: Map<string, number> }> {
  const found = { success: new Map<string, number>(), failure: new Map<string, number>() }
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return found
    throw error
  }
  for (const line of text.split('\n')) {
    // prom-client writes a label value with `\`, `"` and newline escaped
    const sample = /^(\w+)\{run="((?:[^"\\]|\\.)*)"\} (\S+)$/.exec(line)
    if (sample === null) continue
    const [, name, escaped, value] = sample as unknown as [string, string, string, string]
    const map = name === LAST_SUCCESS ? found.success : name === LAST_FAILURE ? found.failure : undefined
    const seconds = Number(value)
    if (map !== undefined && Number.isFinite(seconds)) map.set(escaped.replace(/\\(.)/g, (_, char: string) => char === 'n' ? '\n' : char), seconds)
  }
  return found
}
