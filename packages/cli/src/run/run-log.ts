import { hostname } from 'node:os'
import { pino, type Logger } from 'pino'
import type { ApplyResult, PlanSummary } from '@keydiff/core'
import { withoutPasswords } from '../printable.ts'
import { UsageError } from '../usage-error.ts'
import type { RunOutcome } from './run-one.ts'
import { markLogged } from './logged-errors.ts'

/** How a command reports what it does on standard error: `text` for a person, `json` for a log pipeline. */
export type LogFormat = 'text' | 'json'

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json']

/**
 * A pino logger writing one JSON object a line to `stream` (standard error): what log
 * pipelines (Loki, Elasticsearch, CloudWatch) read without a parser of their own. The level
 * is its name (`"info"`, not pino's `30`) and the time ISO 8601, so a line reads the same in
 * any tool. Nothing logged holds a database URL; error messages pass through `withoutPasswords`.
 */
export function jsonLog (stream: { write: (line: string) => unknown }, command: string): Logger {
  return pino({
    base: { pid: process.pid, hostname: hostname(), command },
    formatters: { level: label => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime
  }, stream)
}

/** The JSON logger `--log-format` asks for, or undefined for text; another format is a usage error. */
export function loggerFor (format: string | undefined, stream: { write: (line: string) => unknown }, command: string, usage: string): Logger | undefined {
  const chosen = format ?? 'text'
  if (!(LOG_FORMATS as readonly string[]).includes(chosen)) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, not ${JSON.stringify(chosen)}`, usage)
  return chosen === 'json' ? jsonLog(stream, command) : undefined
}

/** Writes `error` to the JSON log, if there is one, and marks it so that `main` does not print it again. */
export function logFailure (log: Logger | undefined, error: unknown, fields: Record<string, unknown>, msg: string): void {
  if (log === undefined) return
  log.error({ ...fields, ...failureFields(error) }, msg)
  markLogged(error)
}

/** The plan phase's figures for a log line. */
export function planFields (summary: PlanSummary): Record<string, unknown> {
  const { counts, bytes } = summary.header
  return { phase: 'plan', candidates: counts.candidates, references: counts.references, orphans: counts.orphans, planned: counts.planned, bytesPlanned: bytes.planned, plan: summary.path }
}

/** The apply phase's figures for a log line. */
export function applyFields (applied: ApplyResult): Record<string, unknown> {
  return { phase: 'apply', action: applied.action, planned: applied.planned, done: applied.done, bytesDone: applied.bytesDone, skipped: applied.skipped, dropped: applied.dropped, failed: applied.failed, audit: applied.audit }
}

/** The fields of a failure for a log line: its message (passwords hidden, one line) and its code. */
export function failureFields (error: unknown): { error: string, code?: string } {
  const message = error instanceof Error ? error.message : String(error)
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined
  return { error: withoutPasswords(message), ...(code === undefined ? {} : { code }) }
}

/**
 * The log lines of a finished run: one per phase (plan, then apply when it acted) with its
 * counts and duration, then the run's end. Every line names the run.
 */
export function logRunOutcome (log: Logger, outcome: RunOutcome, seconds: number): void {
  const run = outcome.name
  const ms = (phase: string): number | undefined => outcome.timings.find(timing => timing.phase === phase)?.ms
  log.info({ run, ...planFields(outcome.plan), ms: ms('plan') }, 'phase end')
  const applied = outcome.applied
  if (applied !== undefined) log.info({ run, ...applyFields(applied), ms: ms('apply') }, 'phase end')
  const failed = applied?.failed ?? 0
  log[failed > 0 ? 'warn' : 'info']({ run, target: outcome.target, seconds, acted: applied !== undefined, failed }, 'run end')
}
