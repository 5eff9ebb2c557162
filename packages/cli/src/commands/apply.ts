import { apply, formatBytes, readPlan, type ApplyResult, formatCount } from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { Progress, progressMode } from '../report/progress.ts'
import { applyPhases } from '../report/sweep-phases.ts'
import { applyFields, logFailure, loggerFor } from '../run/run-log.ts'
import { UsageError } from '../usage-error.ts'
import { openStore, positiveInteger, storeOf, trashOption } from './store-options.ts'
import { leaseNote } from '../lease-note.ts'

export const APPLY_USAGE = `Usage: keydiff apply <plan> --action <action> [options]

Acts on a plan made by keydiff plan or keydiff run, under the store's lock, and only on
the store the plan was made for: a directory, or any store a driver opens (s3://, gs://,
minio://, ...; its endpoint and credentials from --config or the environment). The plan is read and verified once (header and body
checksums) and acted on from that verified copy. Every outcome is appended to the audit
log; running the same plan again resumes and never acts twice. Keys that fail are retried,
then reported: exit code 3 when some failed.

Options:
  --action <action>        what to do with each key: delete, quarantine, or another
                           action of the store (tag, release-hold, ...)   (required)
  --store <dir|location>   the store: may only repeat the plan's own    (default: the plan's)
  --config <file>          a config whose store section opens the plan's store (endpoint,
                           credentials)        (default: the plan's location and the environment)
  --allow-unbound-plan     act on --store with a plan that names no store (made from a listing)
  --trash <dir|location>   where quarantine moves keys    (default: the store's own trash)
  --audit <file>           the audit log                  (default: <plan>.audit.jsonl)
  --force                  take the lock over from another holder, and say whom
  --concurrency <n>        batches at a time                              (default: 4)
  --retries <n>            retries per failed key                         (default: 4)
  --json                   print the result as JSON
  --log-format text|json   json: the outcome's counts and duration as a JSON log line on stderr (default: text)
  -h, --help               show this help
`

export async function applyCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseOptions(argv, { ...APPLY_OPTIONS, 'log-format': { type: 'string' } }, APPLY_USAGE, true)
  const out = new LineWriter(io.stdout, false)
  if (values.help === true) {
    await out.write(APPLY_USAGE)
    return 0
  }
  const planPath = onePlan(positionals, APPLY_USAGE)
  const action = values.action
  if (action === undefined) throw new UsageError('--action is required (delete or quarantine)', APPLY_USAGE)
  const log = loggerFor(values['log-format'], io.stderr, 'apply', APPLY_USAGE)
  const concurrency = positiveInteger(values.concurrency, '--concurrency', APPLY_USAGE)
  const retries = positiveInteger(values.retries, '--retries', APPLY_USAGE)
  const started = performance.now()
  let result: ApplyResult
  try {
    const planned = await readPlan(planPath)
    const { location, unbound } = storeOf(planned, values.store, values['allow-unbound-plan'] === true, APPLY_USAGE)
    const { driver, store } = await openStore(location, values.config, planPath, APPLY_USAGE)
    if (!Object.hasOwn(driver.actions, action)) throw new UsageError(`--action must be one of ${Object.keys(driver.actions).join(', ')} for a ${driver.type} store, not ${JSON.stringify(action)}`, APPLY_USAGE)
    const sink = store.sink({ type: action }, { trash: trashOption(values.trash) })
    const phases = applyPhases('', sink.action, planned.header.counts.planned, false)
    const progress = new Progress(phases.read, { stream: io.stderr, mode: progressMode({ isTTY: io.isTTY, quiet: values.json === true || log !== undefined }) }).start()
    try {
      result = await apply(planPath, sink, { lock: store.lock(), force: values.force === true, allowUnboundPlan: unbound, audit: values.audit, concurrency, retries, onProgress: phases.onProgress })
    } finally {
      progress.stop()
      await store.close()
    }
  } catch (error) {
    logFailure(log, error, { phase: 'apply' }, 'apply failed')
    throw error
  }
  log?.[result.failed > 0 ? 'warn' : 'info']({ ...applyFields(result), ms: performance.now() - started }, 'phase end')
  await report(result, values.json === true, io)
  return result.failed > 0 ? 3 : 0
}

export function onePlan (positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'the plan file is required' : `one plan at a time, got ${positionals.length}`, usage)
  return positionals[0] as string
}

export async function report (result: ApplyResult, json: boolean, io: CommandIO): Promise<void> {
  const out = new LineWriter(io.stdout, false)
  if (json) {
    await out.write(JSON.stringify(result, null, 2) + '\n')
    return
  }
  const n = formatCount
  const lines = [
    `${result.sink}: ${n(result.done)} done (${formatBytes(result.bytesDone)}), ${n(result.failed)} failed, ${n(result.dropped)} referenced again (dropped), ${n(result.skipped)} skipped (done before)`,
    `audit log ${result.audit}`
  ]
  if (result.takenOver !== undefined) {
    lines.unshift(`took the lock over from ${result.takenOver.owner} on ${result.takenOver.host} (pid ${result.takenOver.pid}, since ${result.takenOver.startedAt})${leaseNote(result.takenOver)}`)
  }
  for (const failure of result.failures.slice(0, 20)) lines.push(`failed: ${failure.key}: ${failure.error} (${failure.attempts} attempts)`)
  if (result.failed > 20) lines.push(`… and ${n(result.failed - 20)} more failures in the audit log`)
  await out.write(lines.join('\n') + '\n')
}

// apply's options, which restore shares; `--log-format` is apply's own
const APPLY_OPTIONS = {
  action: { type: 'string' },
  store: { type: 'string' },
  config: { type: 'string' },
  'allow-unbound-plan': { type: 'boolean' },
  trash: { type: 'string' },
  audit: { type: 'string' },
  force: { type: 'boolean' },
  concurrency: { type: 'string' },
  retries: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const

export function parse (argv: string[], usage: string) {
  return parseOptions(argv, APPLY_OPTIONS, usage, true)
}
