import { mkdir } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { apply, plan, type ApplyResult, type PlanSummary } from '@keydiff/core'
import type { KeydiffConfig, RunConfig } from '../config/config-types.ts'
import { inCliTerms } from '../plan-refused.ts'
import { Progress, type ProgressMode } from '../report/progress.ts'
import { applyPhases, planPhases } from '../report/sweep-phases.ts'
import { buildReferences } from './build-references.ts'
import type { KeyRange } from '@keydiff/core/adapter'
import { buildTarget } from './build-store.ts'
import { runGuards, runPlanSettings } from './plan-settings.ts'
import type { Connections } from './connections.ts'
import { inRunContext, type ConfigSite } from './run-context.ts'

export interface RunOutcome {
  name: string
  target: string
  plan: PlanSummary
  /** Undefined for a dry run or a run without an action. */
  applied: ApplyResult | undefined
  /** References that could not be re-checked before acting. */
  withoutRecheck: string[]
  /** The config file the run came from: `keydiff restore --config` opens the store with it. */
  config: string
  timings: Array<{ phase: string, ms: number }>
}

export interface RunOneOptions {
  config: KeydiffConfig
  connections: Connections
  baseDir: string
  file: string
  dryRun: boolean
  force: boolean
  progress: { stream: NodeJS.WritableStream & import('node:stream').Writable, mode: ProgressMode }
  signal?: AbortSignal
  /** Where store drivers find credentials a section leaves out. @default process.env */
  env?: NodeJS.ProcessEnv | undefined
  /** Only the candidates in this key range `(after, upTo]`: one shard of a distributed run. */
  range?: KeyRange | undefined
}

/**
 * One `[[runs]]` entry: references and candidates → a plan in the run's work directory →
 * unless it is a dry run, the plan applied through the action's sink under the target's
 * lock, with every key re-checked against the references that can answer look-ups.
 */
export async function runOne (run: RunConfig, options: RunOneOptions): Promise<RunOutcome> {
  const workdir = resolve(options.baseDir, run.workdir ?? join('.keydiff', run.name))
  await mkdir(workdir, { recursive: true })
  const timings: Array<{ phase: string, ms: number }> = []
  // every failure names the run and the key of the config it comes from
  const index = options.config.runs.indexOf(run)
  const site = (path: ReadonlyArray<string | number>): ConfigSite => ({ config: options.config, file: options.file, run: run.name, path })
  const candidatesSite = site('store' in run.candidates ? ['stores', run.candidates.store] : 'databases' in run.candidates ? ['databases', run.candidates.database] : ['runs', index, 'candidates'])
  let target
  try {
    target = await buildTarget({ run, stores: options.config.stores ?? {}, connections: options.connections, baseDir: options.baseDir, workdir, file: options.file, env: options.env, range: options.range })
  } catch (error) {
    throw inRunContext(error, candidatesSite)
  }
  const references = await buildReferences(run, options.connections, options.baseDir, options.file, options.config)
  const planPath = join(workdir, `plan-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`)

  let started = performance.now()
  // the engine's own figures: references, listing, then the drain of what it spilled (diff) and the guards and header (plan)
  const estimated = (side: ReadonlyArray<{ estimatedCount?: number | undefined }>): number | undefined =>
    side.every(source => typeof source.estimatedCount === 'number') ? side.reduce((sum, source) => sum + (source.estimatedCount ?? 0), 0) : undefined
  const phases = planPhases(`${run.name}: `, { references: estimated(references.sources), listing: estimated([target.candidates]) })
  const progress = new Progress(phases.read, { stream: options.progress.stream, mode: options.progress.mode }).start()
  let summary: PlanSummary
  try {
    summary = await plan({
      candidates: inConfigContext(target.candidates, candidatesSite),
      references: references.sources.map((source, j) => inConfigContext(source, site(['runs', index, 'references', j]))),
      out: planPath,
      ...runPlanSettings(run, target),
      ...runGuards(run),
      ...(run.minOrphanAge === undefined ? {} : { minOrphanAge: run.minOrphanAge, orphanAgeDirectory: join(workdir, 'orphan-age') }),
      ...(run.referencesAsOf === undefined ? {} : { referencesAsOf: run.referencesAsOf }),
      onProgress: phases.onProgress,
      ...(options.signal === undefined ? {} : { signal: options.signal })
    })
  } catch (error) {
    throw inRunContext(inCliTerms(error, { run: run.name, file: options.file }), site(['runs', index]))
  } finally {
    progress.stop()
    await references.release()
  }
  timings.push({ phase: 'plan', ms: performance.now() - started })

  let applied: ApplyResult | undefined
  if (!options.dryRun && target.sink !== undefined && summary.header.counts.planned > 0) {
    started = performance.now()
    const phases = applyPhases(`${run.name}: `, target.sink.action, summary.header.counts.planned, references.lookups.length > 0)
    const applying = new Progress(phases.read, { stream: options.progress.stream, mode: options.progress.mode }).start()
    try {
      applied = await apply(planPath, target.sink, {
        lock: target.lock,
        force: options.force,
        // the plan and the sink come from one config entry; a plan and a sink that both name a store are still checked
        allowUnboundPlan: true,
        recheck: references.lookups,
        onProgress: phases.onProgress,
        ...(options.signal === undefined ? {} : { signal: options.signal })
      })
    } catch (error) {
      throw inRunContext(error, site(['runs', index, 'action']))
    } finally {
      applying.stop()
    }
    timings.push({ phase: 'apply', ms: performance.now() - started })
  }
  return { name: run.name, target: target.name, config: options.file, plan: summary, applied, withoutRecheck: references.withoutRecheck, timings }
}

/** Passes a source through; a failure names the key of the config it comes from. */
function inConfigContext<T extends { name: string } & AsyncIterable<readonly unknown[]>> (source: T, site: ConfigSite): T {
  const wrapped = Object.create(source) as T
  Object.defineProperty(wrapped, Symbol.asyncIterator, {
    value: async function * () {
      try {
        yield * source
      } catch (error) {
        throw inRunContext(error, site)
      }
    }
  })
  return wrapped
}
