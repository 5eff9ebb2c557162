import { join, resolve } from 'node:path'
import { KeydiffError } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import { checkConfig, writtenConfig } from '../config/load-config.ts'
import type { KeydiffConfig, RunConfig } from '../config/config-types.ts'
import { buildReferences, type BuildReferencesOptions, type RunReferences } from './build-references.ts'
import { buildTarget, type RunTarget } from './build-store.ts'
import { Connections } from './connections.ts'
import { runOne, type RunOneOptions, type RunOutcome } from './run-one.ts'

/**
 * Everything another process needs to run one `[[runs]]` entry, as plain JSON: the run's
 * section and the store and database sections it names, exactly as the config file wrote
 * them. Secrets stay `${VAR}` names: each process that opens the description resolves them
 * from its own environment, so a description may pass through a queue or a log.
 */
export interface RunDescription {
  /** The format of the description. */
  readonly keydiff: 'run/1'
  /** The run's name. */
  readonly run: string
  /** The config file it was described from, named in problems. */
  readonly file: string
  /** The directory relative paths (a directory store, a file of references) start from. */
  readonly baseDir: string
  /** A config holding just this run and the sections it needs. */
  readonly config: {
    readonly stores?: Readonly<Record<string, unknown>>
    readonly databases?: Readonly<Record<string, unknown>>
    readonly runs: readonly [unknown]
  }
  /**
   * The run's `sorted = true` file references that the coordinator found sorted (one read of
   * each, before any shard): a shard reads such a file by its byte range only while the file
   * has the size and modification time found then. Absent: every file is read whole.
   */
  readonly sortedFiles?: readonly VerifiedSortedFile[]
}

/**
 * A sorted file reference as the coordinator verified it. Its path is the reference's own, as
 * written: a path resolved from a `${VAR}` would carry the variable's value into the queue.
 */
export interface VerifiedSortedFile {
  /** The reference's position in the run's `references`, from 0. */
  readonly reference: number
  /** The file's size when it was verified. */
  readonly size: number
  /** The file's modification time when it was verified. */
  readonly mtimeMs: number
}

/**
 * The description of the run named `runName` of a config that `loadConfig` (or `openRun`)
 * returned: plain JSON, with `${VAR}` secrets unresolved.
 * @throws TypeError for a config not read by keydiff, or a run it does not have
 */
export function describeRun (config: KeydiffConfig, runName: string, options: { sortedFiles?: readonly VerifiedSortedFile[] } = {}): RunDescription {
  const written = writtenConfig(config)
  if (written === undefined) throw new TypeError('describeRun: the config must come from loadConfig, parseConfig or openRun')
  const raw = written.raw as { stores?: Record<string, unknown>, databases?: Record<string, unknown>, runs: unknown[] }
  const run = raw.runs.find(entry => (entry as { name?: unknown }).name === runName) as Record<string, unknown> | undefined
  if (run === undefined) throw new TypeError(`describeRun: no run named ${JSON.stringify(runName)} (runs: ${config.runs.map(entry => entry.name).join(', ')})`)
  const candidates = run.candidates as { store?: string, database?: string }
  const references = run.references as Array<{ database?: string }>
  const databases = new Set([candidates.database, ...references.map(reference => reference.database)].filter((name): name is string => name !== undefined))
  const pick = (sections: Record<string, unknown> | undefined, names: Iterable<string>): Record<string, unknown> | undefined => {
    const picked = Object.fromEntries([...names].filter(name => sections?.[name] !== undefined).map(name => [name, sections?.[name]]))
    return Object.keys(picked).length === 0 ? undefined : picked
  }
  const stores = pick(raw.stores, candidates.store === undefined ? [] : [candidates.store])
  const needed = pick(raw.databases, databases)
  // through JSON once: a TOML date-time becomes the string a description carries
  return JSON.parse(JSON.stringify({
    keydiff: 'run/1',
    run: runName,
    file: written.file,
    baseDir: written.baseDir,
    config: { ...(stores === undefined ? {} : { stores }), ...(needed === undefined ? {} : { databases: needed }), runs: [run] },
    ...(options.sortedFiles === undefined || options.sortedFiles.length === 0 ? {} : { sortedFiles: options.sortedFiles })
  })) as RunDescription
}

/** A run opened from its description in this process, with this process's environment. */
export interface OpenedRun {
  readonly name: string
  /** The description's config, checked and with its secrets resolved: describeRun describes it again. */
  readonly config: KeydiffConfig
  readonly run: RunConfig
  readonly file: string
  readonly baseDir: string
  /** The database clients of the run, opened on first use. */
  readonly connections: Connections
  /** The candidates (of a key range, for a shard), the sink and the lock. */
  target: (options?: { range?: KeyRange, workdir?: string }) => Promise<RunTarget>
  /** The reference sources and their look-ups, reading one snapshot per database (of a shard's key range: see BuildReferencesOptions). */
  references: (options?: BuildReferencesOptions) => Promise<RunReferences>
  /** Plans (and unless `dryRun`, applies) as `keydiff run` does, in the run's work directory. */
  execute: (options: Pick<RunOneOptions, 'dryRun' | 'force' | 'progress' | 'signal' | 'range'>) => Promise<RunOutcome>
  /** Closes the clients of its stores and databases. */
  close: () => Promise<void>
}

/**
 * Opens a run's description: its config is checked as a config file is (each store against
 * its driver, loaded by type) and its `${VAR}` secrets come from `env`.
 * @throws ConfigError (KEYDIFF_CONFIG_INVALID) naming what is wrong with the description
 */
export async function openRun (description: RunDescription, env: NodeJS.ProcessEnv = process.env): Promise<OpenedRun> {
  if (description === null || typeof description !== 'object' || description.keydiff !== 'run/1' || typeof description.run !== 'string' ||
    typeof description.baseDir !== 'string' || typeof description.file !== 'string' || typeof description.config !== 'object' || description.config === null) {
    throw new KeydiffError('not a keydiff run description (describeRun makes one: { keydiff: "run/1", run, file, baseDir, config })', 'KEYDIFF_CONFIG_INVALID')
  }
  const sortedFiles = description.sortedFiles
  if (sortedFiles !== undefined && !(Array.isArray(sortedFiles) && sortedFiles.every(isVerifiedSortedFile))) {
    throw new KeydiffError('the run description\'s sortedFiles must list { reference, size, mtimeMs } of each verified file', 'KEYDIFF_CONFIG_INVALID')
  }
  const config = await checkConfig(description.config, { file: description.file, env, baseDir: description.baseDir })
  const run = config.runs.find(entry => entry.name === description.run)
  if (run === undefined) throw new KeydiffError(`the run description holds no run named ${JSON.stringify(description.run)}`, 'KEYDIFF_CONFIG_INVALID')
  const connections = new Connections(config.databases ?? {})
  const { file, baseDir } = description
  return {
    name: run.name,
    config,
    run,
    file,
    baseDir,
    connections,
    target: async (options = {}) => await buildTarget({
      run, stores: config.stores ?? {}, connections, baseDir, file, env, range: options.range,
      workdir: options.workdir ?? runWorkdir(baseDir, run)
    }),
    references: async (options = {}) => await buildReferences(run, connections, baseDir, file, config, { sortedFiles, ...options }),
    execute: async options => await runOne(run, { ...options, config, connections, baseDir, file, env }),
    close: async () => { await connections.closeAll() }
  }
}

function isVerifiedSortedFile (value: unknown): value is VerifiedSortedFile {
  const file = value as Partial<Record<keyof VerifiedSortedFile, unknown>> | null
  return typeof file === 'object' && file !== null && Number.isInteger(file.reference) && Number.isFinite(file.size) && Number.isFinite(file.mtimeMs)
}

/** As keydiff run places it: `.keydiff/<run name>` beside the config, unless the run names one. */
function runWorkdir (baseDir: string, run: RunConfig): string {
  return resolve(baseDir, run.workdir ?? join('.keydiff', run.name))
}
