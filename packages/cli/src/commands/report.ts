import { stat, writeFile } from 'node:fs/promises'
import { LineWriter, type CommandIO } from '../io.ts'
import { parseOptions } from '../parse-options.ts'
import { readHistory } from '../report/history.ts'
import { renderHistory } from '../report/history-report.ts'
import { UsageError } from '../usage-error.ts'
import { positiveInteger } from './store-options.ts'

export const REPORT_USAGE = `Usage: keydiff report --history <workdir> [options]

Writes a self-contained HTML page (no script, nothing fetched) of a run's history: orphans
found and bytes reclaimed per run, as charts, and a table of every plan and what its applies
did. <workdir> is a run's work directory (.keydiff/<run>: its plan-*.jsonl files and their
audit logs), or a directory of them (.keydiff) for a page per run. Reads only.

Options:
  --history <workdir>   the work directory to read
  --out <file>          where to write the page            (default: standard output)
  --last <n>            the latest plans to show, per run             (default: 30)
  -h, --help            show this help
`

export async function reportCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values } = parseOptions(argv, {
    history: { type: 'string' },
    out: { type: 'string' },
    last: { type: 'string' },
    help: { type: 'boolean', short: 'h' }
  }, REPORT_USAGE)
  if (values.help === true) {
    await new LineWriter(io.stdout, false).write(REPORT_USAGE)
    return 0
  }
  const dir = values.history
  if (dir === undefined) throw new UsageError('--history <workdir> is required: the work directory to chart', REPORT_USAGE)
  const last = positiveInteger(values.last, '--last', REPORT_USAGE) ?? 30
  if (last === 0) throw new UsageError('--last must be at least 1', REPORT_USAGE)
  if ((await stat(dir).catch(() => undefined))?.isDirectory() !== true) throw new UsageError(`--history ${dir} is not a directory`, REPORT_USAGE)
  const runs = await readHistory(dir, last)
  if (runs.length === 0) throw new UsageError(`no plans in ${dir}: give a run's work directory (.keydiff/<run>, holding plan-*.jsonl) or the directory of them`, REPORT_USAGE)
  const html = renderHistory(runs)
  if (values.out === undefined) {
    const out = LineWriter.data(io.stdout, io.stdoutIsTTY === true)
    await out.write(html)
    await out.close()
  } else {
    await writeFile(values.out, html)
    const plans = runs.reduce((sum, run) => sum + run.entries.length, 0)
    await new LineWriter(io.stdout, false).write(`wrote the history of ${plans} plans (${runs.map(run => run.name).join(', ')}) to ${values.out}\n`)
  }
  return 0
}
