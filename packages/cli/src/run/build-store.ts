import { join, resolve } from 'node:path'
import { linesSource, lockFile, type KeySource, type Lock, type Sink } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import type { RunConfig, StoreConfig } from '../config/config-types.ts'
import { loadDriver } from '../drivers/load-driver.ts'
import type { Connections } from './connections.ts'

/** A run's candidates and, when it has an action, the sink and the lock for its target. */
export interface RunTarget {
  /** Names the target in locks and reports: `dir:/data`, `s3://bucket/prefix`. */
  name: string
  /** The store's location, which the plan binds and references resolve against; undefined for a file of keys or database names. */
  store?: string | undefined
  candidates: KeySource
  sink?: Sink
  /** The action's quarantine as a location, where it lies in the listed store, so it is never planned. */
  trash?: string | undefined
  lock: Lock
  /** A harmless write and removal under the store's `.keydiff/` that needs the action's permissions, for `keydiff check`; undefined for a file or databases. */
  probe?: () => Promise<void>
}

export interface TargetContext {
  run: RunConfig
  stores: Record<string, StoreConfig>
  connections: Connections
  /** Directory of the config file: relative paths are resolved against it. */
  baseDir: string
  workdir: string
  file: string
  /** Only the candidates in this range (a shard of a distributed run). */
  range?: KeyRange | undefined
  /** Where the store's driver finds credentials the section leaves out. @default process.env */
  env?: NodeJS.ProcessEnv | undefined
}

/**
 * Builds the candidate source, the sink and the lock that a run's config names: a store
 * through its driver (loaded by its `type`), a file of keys, or a mongo database's names.
 */
export async function buildTarget (context: TargetContext): Promise<RunTarget> {
  const { run, baseDir, workdir } = context
  const candidates = run.candidates
  if ('file' in candidates) {
    const path = resolve(baseDir, candidates.file)
    return { name: `file:${path}`, candidates: linesSource(path, { name: `file:${path}` }), lock: lockFile({ path: join(workdir, 'lock'), target: `file:${path}` }) }
  }
  if ('databases' in candidates) return await databaseNames(context, candidates)
  const section = context.stores[candidates.store] as StoreConfig
  const driver = await loadDriver(section.type, baseDir)
  const store = driver.open(section, { env: context.env ?? process.env, baseDir, workdir })
  context.connections.closeWith(store.close)
  const action = run.action
  return {
    name: store.location(candidates.prefix),
    store: store.location(candidates.prefix),
    candidates: store.candidates({ prefix: candidates.prefix, range: context.range }),
    ...(action === undefined ? {} : { sink: store.sink(action), trash: store.trash?.(action) }),
    lock: store.lock(),
    probe: async () => { await store.probe(action) }
  }
}

/**
 * Database names of a `[databases]` mongo section as candidates, through the mongo store
 * driver: the section (with `include`) opens it as `[stores]` would; the plan binds no store.
 */
async function databaseNames (context: TargetContext, candidates: { database: string, databases: { include?: string } }): Promise<RunTarget> {
  const section = context.connections.config(candidates.database)
  const driver = await loadDriver('mongo', context.baseDir)
  const store = driver.open({ ...section, ...(candidates.databases.include === undefined ? {} : { include: candidates.databases.include }) }, { env: context.env ?? process.env, baseDir: context.baseDir, workdir: context.workdir })
  context.connections.closeWith(store.close)
  const action = context.run.action
  return {
    name: `mongo:${candidates.database}`,
    candidates: store.candidates({ range: context.range }),
    ...(action === undefined ? {} : { sink: store.sink(action) }),
    lock: store.lock(),
    probe: async () => { await store.probe(action) }
  }
}
