import { directoryQuarantineSink, readPlan, restore } from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { UsageError } from '../usage-error.ts'
import { onePlan, parse, report } from './apply.ts'
import { positiveInteger, storeLock, storeOf } from './store-options.ts'

export const RESTORE_USAGE = `Usage: keydiff restore <plan> [options]

Moves back what keydiff apply --action quarantine moved to the trash for this plan, as its
audit log records it, under the store's lock. A file in the way is reported, never replaced.

Options:
  --store <dir>            the store                      (default: the plan's --store)
  --trash <dir>            the quarantine                 (default: <store>/.keydiff/trash)
  --audit <file>           the audit log                  (default: <plan>.audit.jsonl)
  --force                  take the lock over from another holder
  --retries <n>            retries per failed key                         (default: 4)
  --json                   print the result as JSON
  -h, --help               show this help
`

export async function restoreCommand (argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parse(argv, RESTORE_USAGE)
  if (values.help === true) {
    await new LineWriter(io.stdout, false).write(RESTORE_USAGE)
    return 0
  }
  if (values.action !== undefined && values.action !== 'quarantine') throw new UsageError('restore undoes a quarantine; there is no --action', RESTORE_USAGE)
  const planPath = onePlan(positionals, RESTORE_USAGE)
  const { header } = await readPlan(planPath)
  const root = storeOf(header, values.store, RESTORE_USAGE)
  const result = await restore(planPath, directoryQuarantineSink({ root, trash: values.trash }), {
    lock: storeLock(root),
    force: values.force === true,
    audit: values.audit,
    concurrency: positiveInteger(values.concurrency, '--concurrency', RESTORE_USAGE),
    retries: positiveInteger(values.retries, '--retries', RESTORE_USAGE)
  })
  await report(result, values.json === true, io)
  return result.failed > 0 ? 3 : 0
}
