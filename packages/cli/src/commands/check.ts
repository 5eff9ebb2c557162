import { dirname, resolve } from 'node:path'
import { checkRun, type CheckResult } from '../check/check-run.ts'
import { DEFAULT_CONFIG, loadConfig } from '../config/load-config.ts'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { Connections } from '../run/connections.ts'
import { UsageError } from '../usage-error.ts'

export const CHECK_USAGE = `Usage: keydiff check [--config <file>] [--only <name>] [--json]

Checks, before a run is scheduled, that everything each run of a TOML config needs will
work: its store or database opens and lists one page, each reference reads one batch, the
action's permissions (delete, quarantine, tag…) are probed by writing and removing a tiny
object under the store's protected .keydiff/ prefix, and the lock is acquired and
released. Nothing else in the stores or databases is changed.

Options:
  --config <file>      the config file                             (default: ${DEFAULT_CONFIG})
  --only <name>        check only this run; repeat for several     (default: every run)
  --json               print the results as JSON for programs
  -h, --help           show this help

Exit codes: 0 every check passed, 1 some check failed, 2 usage or config error.
`

export async function checkCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseOptions(argv, {
    config: { type: 'string' },
    only: { type: 'string', multiple: true },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' }
  }, CHECK_USAGE)
  const out = new LineWriter(io.stdout, false)
  if (values.help === true) {
    await out.write(CHECK_USAGE)
    return 0
  }
  const file = resolve(values.config ?? DEFAULT_CONFIG)
  const config = await loadConfig(file)
  const only = values.only ?? []
  const unknown = only.filter(name => !config.runs.some(run => run.name === name))
  if (unknown.length > 0) throw new UsageError(`no run named ${unknown.map(name => JSON.stringify(name)).join(', ')} in ${file} (runs: ${config.runs.map(run => run.name).join(', ')})`, CHECK_USAGE)
  const runs = only.length === 0 ? config.runs : config.runs.filter(run => only.includes(run.name))

  const connections = new Connections(config.databases ?? {})
  const results: CheckResult[] = []
  try {
    for (const run of runs) results.push(...await checkRun(run, { config, connections, baseDir: dirname(file), file }))
  } finally {
    await connections.closeAll()
  }
  await out.write(values.json === true ? JSON.stringify(results, null, 2) + '\n' : table(results))
  return results.every(result => result.ok) ? 0 : 1
}

/** Plain columns: run, target, check, ok or fails, and the reason of a failure. */
function table (results: CheckResult[]): string {
  const rows = [['RUN', 'TARGET', 'CHECK', 'RESULT', 'REASON'], ...results.map(result => [result.run, result.target, result.check, result.ok ? 'ok' : 'fails', result.reason ?? ''])]
  const widths = [0, 1, 2, 3].map(column => Math.max(...rows.map(row => (row[column] ?? '').length)))
  const lines = rows.map(row => row.map((cell, column) => column === 4 ? cell : cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd())
  const failed = results.filter(result => !result.ok).length
  lines.push('', failed === 0 ? `all ${results.length} checks passed` : `${failed} of ${results.length} checks failed`)
  return lines.join('\n') + '\n'
}
