import { KeydiffError } from '@keydiff/core'
import { formatRange, type ShardOpener } from '@keydiff/bullmq'
import { runPlanSettings } from '../run/plan-settings.ts'
import { openRun, type RunDescription } from '../run/run-description.ts'

/**
 * How a `keydiff worker` opens a shard: the run description through `openRun`, with this
 * process's environment for its `${VAR}` secrets, and the run's plan settings as `keydiff
 * run` passes them to `plan()`. The guards, the fence's base time and `minOrphanAge` are the
 * distributed run's (`runGuards`, judged once on the merged counts). Each sorted file a shard
 * read by byte range is told to `log` as the shard ends: which bytes of how many it read.
 */
export function queueOpener (env: NodeJS.ProcessEnv = process.env, log: (line: string) => void = line => { process.stderr.write(`keydiff worker: ${line}\n`) }): ShardOpener {
  return async (description, range, purpose) => {
    const opened = await openRun(description as unknown as RunDescription, env)
    try {
      if (opened.run.minOrphanAge !== undefined) {
        throw new KeydiffError(`run ${JSON.stringify(opened.name)}: minOrphanAge keeps first-seen times in one work directory, which a distributed run does not have; run it without --queue`, 'KEYDIFF_CONFIG_INVALID')
      }
      const target = await opened.target({ range })
      // the shard's range reaches the databases' queries; referencesInRange still filters what they return
      const references = await opened.references(purpose === 'plan' ? { range } : {})
      return {
        candidates: target.candidates,
        // an apply reads no reference source; it only looks keys up again
        references: purpose === 'plan' ? references.sources : [],
        planOptions: runPlanSettings(opened.run, target),
        sink: target.sink,
        recheck: references.lookups,
        close: async () => {
          for (const source of references.byteRangeReads) {
            const read = source.byteRange
            if (read !== undefined) log(`shard ${formatRange(range)}: ${source.name} read by byte range, bytes ${read.start}-${read.end} of ${read.size} (${read.keys} keys)`)
          }
          await references.release()
          await opened.close()
        }
      }
    } catch (error) {
      await opened.close()
      throw error
    }
  }
}
