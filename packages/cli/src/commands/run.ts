import { writeFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { formatPlanSummary } from '@keydiff/core'
import { DEFAULT_CONFIG, loadConfig } from '../config/load-config.ts'
import { LineWriter, type CommandIO } from '../io.ts'
import { renderReport } from '../report/html-report.ts'
import { reportInput } from '../report/report-input.ts'
import { progressMode } from '../report/progress.ts'
import { Connections } from '../run/connections.ts'
import { runOne, type RunOutcome } from '../run/run-one.ts'
import { failureFields, logFailure, loggerFor, logRunOutcome } from '../run/run-log.ts'
import { writeRunMetrics, type RunFigures } from '../run/run-metrics.ts'
import { parseOptions } from '../parse-options.ts'
import { UsageError } from '../usage-error.ts'
import type { Logger } from 'pino'
import { leaseNote } from '../lease-note.ts'

export const RUN_USAGE = `Usage: keydiff run [--config <file>] [--only <name>] [--dry-run] [options]

Runs the cleaning runs described in a TOML config: for each [[runs]] entry, reads the
references (unioned) and the candidates, writes a plan to the run's work directory, prints
its per-prefix summary, and — unless --dry-run, or the run has no action — applies it under
the target's lock, re-checking every key against the references first.

Options:
  --config <file>      the config file                             (default: ${DEFAULT_CONFIG})
  --only <name>        run only this run; repeat for several        (default: every run)
  --dry-run            plan only: nothing is changed                 (default: off)
  --force              take over a lock held by another sweep        (default: off)
  --report <file>      write a self-contained HTML report
  --json               print the outcome as JSON for programs
  --quiet              no progress and no summary tables
  --log-format <fmt>   text, or json: one JSON object a line on stderr
                       (run start and end, each phase's counts and ms),
                       instead of the progress line              (default: text)
  --metrics <file>     write the runs' figures in Prometheus' text format
                       (for node_exporter's textfile collector), also
                       when a run fails
  -h, --help           show this help

Exit codes: 0 ok, 1 runtime error, 2 usage or config error, 3 some keys failed to act.
`

export async function runCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parse(argv)
  const out = new LineWriter(io.stdout, false)
  if (values.help === true) {
    await out.write(RUN_USAGE)
    return 0
  }
  const log = loggerFor(values['log-format'], io.stderr, 'run', RUN_USAGE)
  const figures: RunFigures[] = []
  let current: { name: string, started: number } | undefined
  try {
    const code = await runAll(values, io, out, log, figures, run => { current = run })
    if (values.metrics !== undefined) await writeRunMetrics(values.metrics, figures)
    return code
  } catch (error) {
    const failed = current
    if (failed !== undefined) figures.push({ name: failed.name, seconds: (performance.now() - failed.started) / 1000, at: new Date(), outcome: undefined })
    logFailure(log, error, failed === undefined ? {} : { run: failed.name }, failed === undefined ? 'command failed' : 'run failed')
    // the run's failure is the news: a metrics file that cannot be written is only reported
    if (values.metrics !== undefined && figures.length > 0) {
      await writeRunMetrics(values.metrics, figures).catch((written: unknown) => {
        const why = `could not write the metrics file ${values.metrics ?? ''}: ${failureFields(written).error}`
        if (log !== undefined) log.error({ ...failureFields(written) }, why)
        else io.stderr.write(`keydiff run: ${why}\n`)
      })
    }
    throw error
  }
}

/** The runs of the config, in order; `starting` is told of each run as it starts, and `figures` gets each outcome. */
async function runAll (values: ReturnType<typeof parse>['values'], io: CommandIO, out: LineWriter, log: Logger | undefined, figures: RunFigures[], starting: (run: { name: string, started: number } | undefined) => void): Promise<number> {
  const file = resolve(values.config ?? DEFAULT_CONFIG)
  const config = await loadConfig(file)
  const only = values.only ?? []
  const unknown = only.filter(name => !config.runs.some(run => run.name === name))
  if (unknown.length > 0) throw new UsageError(`no run named ${unknown.map(name => JSON.stringify(name)).join(', ')} in ${file} (runs: ${config.runs.map(run => run.name).join(', ')})`, RUN_USAGE)
  const runs = only.length === 0 ? config.runs : config.runs.filter(run => only.includes(run.name))

  const connections = new Connections(config.databases ?? {})
  const outcomes: RunOutcome[] = []
  const quiet = values.quiet === true || values.json === true
  try {
    for (const run of runs) {
      const started = performance.now()
      starting({ name: run.name, started })
      log?.info({ run: run.name, dryRun: values['dry-run'] === true }, 'run start')
      const outcome = await runOne(run, {
        config,
        connections,
        baseDir: dirname(file),
        file,
        dryRun: values['dry-run'] === true,
        force: values.force === true,
        progress: { stream: io.stderr, mode: progressMode({ isTTY: io.isTTY, quiet: values.quiet === true || log !== undefined }) }
      })
      const seconds = (performance.now() - started) / 1000
      starting(undefined)
      figures.push({ name: run.name, seconds, at: new Date(), outcome })
      if (log !== undefined) logRunOutcome(log, outcome, seconds)
      outcomes.push(outcome)
      if (!quiet) await out.write(describe(outcome, values['dry-run'] === true))
    }
  } finally {
    await connections.closeAll()
  }
  if (values.report !== undefined) {
    await writeFile(values.report, renderReport(await Promise.all(outcomes.map(reportInput))))
  }
  if (values.json === true) {
    await out.write(JSON.stringify(outcomes.map(outcome => ({
      name: outcome.name,
      target: outcome.target,
      plan: { path: outcome.plan.path, header: outcome.plan.header, prefixes: outcome.plan.prefixes },
      applied: outcome.applied ?? null,
      withoutRecheck: outcome.withoutRecheck,
      timings: outcome.timings
    })), null, 2) + '\n')
  }
  return outcomes.some(outcome => (outcome.applied?.failed ?? 0) > 0) ? 3 : 0
}

function describe (outcome: RunOutcome, dryRun: boolean): string {
  const lines = [`== ${outcome.name} (${outcome.target})`, formatPlanSummary(outcome.plan).trimEnd()]
  const applied = outcome.applied
  if (applied !== undefined) {
    lines.push(`${applied.action}: ${applied.done} done, ${applied.skipped} already done, ${applied.dropped} dropped by the re-check, ${applied.failed} failed (audit log ${applied.audit})`)
    for (const failure of applied.failures.slice(0, 10)) lines.push(`  failed ${JSON.stringify(failure.key)}: ${failure.error}`)
    if (applied.takenOver !== undefined) lines.push(`lock taken over from ${applied.takenOver.owner} on ${applied.takenOver.host} (since ${applied.takenOver.startedAt})${leaseNote(applied.takenOver)}`)
  } else if (dryRun) {
    lines.push('dry run: nothing was changed')
  } else if (outcome.plan.header.counts.planned > 0) {
    lines.push('no action configured: nothing was changed')
  }
  if (outcome.withoutRecheck.length > 0) lines.push(`note: no re-check for ${outcome.withoutRecheck.join(', ')} (templated keys cannot be looked up)`)
  return lines.join('\n') + '\n\n'
}

function parse (argv: string[]) {
  return parseOptions(argv, {
    config: { type: 'string' },
    only: { type: 'string', multiple: true },
    'dry-run': { type: 'boolean' },
    force: { type: 'boolean' },
    report: { type: 'string' },
    json: { type: 'boolean' },
    quiet: { type: 'boolean' },
    'log-format': { type: 'string' },
    metrics: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, RUN_USAGE)
}
