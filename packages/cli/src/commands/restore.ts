import { stat } from 'node:fs/promises'
import { resolve } from 'node:path'
import { directoryQuarantineSink, directorySource, formatBytes, parseStoreLocation, readPlan, recordedTrash, restore, formatCount } from '@keydiff/core'
import { directoryDriver } from '@keydiff/core/adapter'
import { LineWriter, type CommandIO } from '../io.ts'
import { UsageError } from '../usage-error.ts'
import { onePlan, parse } from './apply.ts'
import { openStore, positiveInteger, storeOf, trashOption } from './store-options.ts'
import { leaseNote } from '../lease-note.ts'

export const RESTORE_USAGE = `Usage: keydiff restore <plan> [options]
       keydiff restore <quarantine-dir> --store <dir> [options]

Moves back what keydiff apply --action quarantine (or keydiff run) moved to the trash: for a
plan, what its audit log records, from the trash the log records it went to (a directory or
an object store's trash prefix); for a quarantine directory, every file in it. Runs under
the store's lock, on the plan's own store only. A file in the way is reported, never replaced. Prints what it restored and what
failed; the plan's other keys are counted by why they were left (never quarantined by this
plan, restored before, in another trash).

Options:
  --store <dir|location>   the store: may only repeat the plan's own    (default: the plan's)
  --config <file>          a config whose store section opens the plan's store (endpoint,
                           credentials)        (default: the plan's location and the environment)
  --allow-unbound-plan     restore into --store with a plan that names no store
  --trash <dir|location>   the quarantine    (default: where the audit log says the keys went,
                           else the store's own trash)
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
  const { location, unbound } = storeOf(await readPlan(target), values.store, values['allow-unbound-plan'] === true, RESTORE_USAGE)
  const trashes = values.trash !== undefined ? [trashOption(values.trash) as string] : await recordedTrash(target, values.audit === undefined ? {} : { audit: values.audit })
  const { driver, store } = await openStore(location, values.config, target, RESTORE_USAGE)
  const results: FromTrash[] = []
  try {
    if (store.restorer === undefined) throw new UsageError(`a ${driver.type} store has no quarantine to restore from`, RESTORE_USAGE)
    // with no trash recorded (a log of an older keydiff), the store's default trash
    for (const trash of trashes.length === 0 ? [undefined] : trashes) {
      const sink = store.restorer(trash)
      results.push({
        trash: sink.trash === undefined ? 'the store\'s trash' : shownTrash(sink.trash),
        result: await restore(target, sink, {
          lock: store.lock(),
          force: values.force === true,
          allowUnboundPlan: unbound,
          audit: values.audit,
          concurrency: positiveInteger(values.concurrency, '--concurrency', RESTORE_USAGE),
          retries: positiveInteger(values.retries, '--retries', RESTORE_USAGE)
        })
      })
    }
  } finally {
    await store.close()
  }
  const out = new LineWriter(io.stdout, false)
  if (values.json === true) {
    const json = results.map(({ result }) => result)
    await out.write(JSON.stringify(json.length === 1 ? json[0] : json, null, 2) + '\n')
  } else {
    await out.write(describeRestore(results))
  }
  return results.some(({ result }) => result.failed > 0) ? 3 : 0
}

/** A restore from one trash: where from, and what it did. */
interface FromTrash {
  /** The trash directory, as the operator names it. */
  trash: string
  result: Awaited<ReturnType<typeof restore>>
}

/**
 * What the restores did, counting only what they acted on: restored and failed per trash; the
 * plan's other keys are named by why they were left (never quarantined by this plan, restored
 * before, in another trash), never as skipped work.
 */
function describeRestore (results: readonly FromTrash[]): string {
  const n = formatCount
  const lines: string[] = []
  for (const { trash, result } of results) {
    if (result.takenOver !== undefined) lines.push(`took the lock over from ${result.takenOver.owner} on ${result.takenOver.host} (pid ${result.takenOver.pid}, since ${result.takenOver.startedAt})${leaseNote(result.takenOver)}`)
    lines.push(`restored ${n(result.done)} of ${n(result.planned)} planned keys (${formatBytes(result.bytesDone)}) from ${trash}, ${n(result.failed)} failed`)
    for (const failure of result.failures.slice(0, 20)) lines.push(`failed: ${failure.key}: ${failure.error} (${failure.attempts} attempts)`)
    if (result.failed > 20) lines.push(`… and ${n(result.failed - 20)} more failures in the audit log`)
  }
  // what the first restore found left alone holds for all: the later ones restore what it left in their trashes
  const first = results[0]?.result
  if (first !== undefined) {
    const left = [
      ...(first.notQuarantined > 0 ? [`${n(first.notQuarantined)} never quarantined by this plan`] : []),
      ...(first.restoredBefore > 0 ? [`${n(first.restoredBefore)} restored before`] : []),
      ...(results.length === 1 && first.otherTrash > 0 ? [`${n(first.otherTrash)} in another trash (restore with --trash <dir>)`] : [])
    ]
    if (left.length > 0) lines.push(`not acted on: ${left.join(', ')}`)
    lines.push(`audit log ${first.audit}`)
  }
  return lines.join('\n') + '\n'
}

/** A trash as the operator names it: a directory's path, an object store's location. */
function shownTrash (trash: string): string {
  const location = parseStoreLocation(trash, 'the trash')
  return location.scheme === 'file' ? location.path : trash
}

/** Every file of a quarantine directory back to its place in the store. */
async function restoreDirectory (trash: string, root: string, force: boolean, json: boolean, io: CommandIO): Promise<number> {
  const sink = directoryQuarantineSink({ root, trash })
  const lease = await directoryDriver.open({ type: 'directory', path: root }, { env: {}, baseDir: root, workdir: root }).lock().acquire({ force })
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
    await out.write(`restored ${formatCount(done)} files (${formatBytes(bytes)}) from ${trash} to ${root}, ${failures.length} failed\n` +
      failures.slice(0, 20).map(failure => `failed: ${failure.key}: ${failure.error}\n`).join(''))
  }
  return failures.length > 0 ? 3 : 0
}
