import { hostname } from 'node:os'
import { pino, type Logger } from 'pino'
import { withoutPasswords } from '../printable.ts'
import type { RunOutcome } from './run-one.ts'

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

/** The fields of a failure for a log line: its message (passwords hidden, one line) and its code. */
export function failureFields (error: unknown): { error: string, code?: string } {
  const message = error instanceof Error ? error.message : String(error)
  const code = typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined
  return { error: withoutPasswords(message), ...(code === undefined ? {} : { code }) }
}

// Errors a command has already written to its JSON log: `main` does not print them again as
// text, so that every line on standard error stays JSON.
const logged = new WeakSet<object>()

/** Marks `error` as written to the JSON log. */
export function markLogged (error: unknown): void {
  if (typeof error === 'object' && error !== null) logged.add(error)
}

/** Whether a command has already written `error` to its JSON log. */
export function isLogged (error: unknown): boolean {
  return typeof error === 'object' && error !== null && logged.has(error)
}

/**
 * The log lines of a finished run: one per phase (plan, then apply when it acted) with its
 * counts and duration, then the run's end. Every line names the run.
 */
export function logRunOutcome (log: Logger, outcome: RunOutcome, seconds: number): void {
  const run = outcome.name
  const ms = (phase: string): number | undefined => outcome.timings.find(timing => timing.phase === phase)?.ms
  const { counts, bytes } = outcome.plan.header
  log.info({ run, phase: 'plan', ms: ms('plan'), candidates: counts.candidates, references: counts.references, orphans: counts.orphans, planned: counts.planned, bytesPlanned: bytes.planned, plan: outcome.plan.path }, 'phase end')
  const applied = outcome.applied
  if (applied !== undefined) {
    log.info({ run, phase: 'apply', ms: ms('apply'), action: applied.action, planned: applied.planned, done: applied.done, bytesDone: applied.bytesDone, skipped: applied.skipped, dropped: applied.dropped, failed: applied.failed, audit: applied.audit }, 'phase end')
  }
  const failed = applied?.failed ?? 0
  log[failed > 0 ? 'warn' : 'info']({ run, target: outcome.target, seconds, acted: applied !== undefined, failed }, 'run end')
}
