import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { directoryQuarantineSink, directorySource, formatBytes, readPlan, restore } from '@keydiff/core'
import { LineWriter, type CommandIO } from '../io.ts'
import { UsageError } from '../usage-error.ts'
import { onePlan, parse, report } from './apply.ts'
import { positiveInteger, storeLock, storeOf } from './store-options.ts'

export const RESTORE_USAGE = `Usage: keydiff restore <plan> [options]
       keydiff restore <quarantine-dir> --store <dir> [options]

Moves back what keydiff apply --action quarantine moved to the trash: for a plan, what its
audit log records; for a quarantine directory, every file in it. Runs under the store's
lock. A file in the way is reported, never replaced.

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
  const target = onePlan(positionals, RESTORE_USAGE)
  if ((await stat(target).catch(() => undefined))?.isDirectory() === true) {
    if (values.store === undefined) throw new UsageError('restoring a quarantine directory needs --store <dir>', RESTORE_USAGE)
    return await restoreDirectory(resolve(target), resolve(values.store), values.force === true, values.json === true, io)
  }
  const { header } = await readPlan(target)
  const root = storeOf(header, values.store, RESTORE_USAGE)
  const result = await restore(target, directoryQuarantineSink({ root, trash: values.trash }), {
    lock: storeLock(root),
    force: values.force === true,
    audit: values.audit,
    concurrency: positiveInteger(values.concurrency, '--concurrency', RESTORE_USAGE),
    retries: positiveInteger(values.retries, '--retries', RESTORE_USAGE)
  })
  await report(result, values.json === true, io)
  return result.failed > 0 ? 3 : 0
}

/** Every file of a quarantine directory back to its place in the store. */
async function restoreDirectory (trash: string, root: string, force: boolean, json: boolean, io: CommandIO): Promise<number> {
  const sink = directoryQuarantineSink({ root, trash })
  const lease = await storeLock(root).acquire({ force })
  let done = 0
  let bytes = 0
  const failures: Array<{ key: string, error: string }> = []
  try {
    for await (const batch of directorySource({ root: trash })) {
      const outcomes = await sink.restore(batch)
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) {
          done++
          bytes += batch[i]?.size ?? 0
        } else {
          failures.push({ key: outcome.key, error: outcome.error ?? 'failed' })
        }
      })
    }
  } finally {
    await lease.release()
  }
  const out = new LineWriter(io.stdout, false)
  if (json) await out.write(JSON.stringify({ trash, store: root, done, bytes, failed: failures.length, failures }, null, 2) + '\n')
  else {
    await out.write(`restored ${done.toLocaleString('en-US')} files (${formatBytes(bytes)}) from ${trash} to ${root}, ${failures.length} failed\n` +
      failures.slice(0, 20).map(failure => `failed: ${failure.key}: ${failure.error}\n`).join(''))
  }
  return failures.length > 0 ? 3 : 0
}
