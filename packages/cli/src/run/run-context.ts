import { relative, isAbsolute } from 'node:path'
import { InvalidOptionError, KeydiffError, PlanRefusedError } from '@keydiff/core'
import { formatKeyPath } from '../config/config-error.ts'
import type { KeydiffConfig } from '../config/config-types.ts'
import { configLine } from '../config/load-config.ts'

/** The part of a config a run was using when something failed: the run and a key path in the file. */
export interface ConfigSite {
  config: KeydiffConfig
  file: string
  run: string
  path: ReadonlyArray<string | number>
}

const placed = new WeakSet<object>()

/**
 * A runtime error told with where it comes from in the config, `run "blobs", databases.main
 * (keydiff.toml:7): …`, keeping its code, so that an operator reading a scheduler's log knows
 * which run and which key to look at. A connection that fails is put on its database's key,
 * whichever reference used it. A refused plan (which names its run and key already), an
 * abort, an error already placed, and a thrown value that is no KeydiffError pass unchanged.
 */
export function inRunContext (error: unknown, site: ConfigSite): unknown {
  if (!(error instanceof KeydiffError) || placed.has(error) || error instanceof PlanRefusedError || error.code === 'KEYDIFF_ABORTED') return error
  let path = error.code === 'KEYDIFF_CONNECTION_FAILED' && site.path[0] === 'runs' ? databaseOf(site) ?? site.path : site.path
  let message = error.message.replace(/^\[keydiff\] /, '')
  // A library option the config spells with the same key (a reference's table, column, field) is named by that key.
  if (error instanceof InvalidOptionError && keyOf(site) !== undefined && Object.hasOwn(keyOf(site) as object, error.option)) {
    path = [...path, error.option]
    message = message.replace(`option ${error.option}: `, '')
  }
  const line = configLine(site.config, path)
  const wrapped = new KeydiffError(`run ${JSON.stringify(site.run)}, ${formatKeyPath(path)} (${shortPath(site.file)}${line === undefined ? '' : `:${line}`}): ${message}`, error.code, { cause: error })
  placed.add(wrapped)
  return wrapped
}

/** The config value at the site, when it is a table of keys. */
function keyOf (site: ConfigSite): Record<string, unknown> | undefined {
  let value: unknown = site.config
  for (const part of site.path) value = (value as Record<string | number, unknown> | undefined)?.[part]
  return value !== null && typeof value === 'object' ? value as Record<string, unknown> : undefined
}

/** `['databases', name]` when the site is a reference or candidates that name a database. */
function databaseOf (site: ConfigSite): Array<string | number> | undefined {
  const database = keyOf(site)?.database
  return typeof database === 'string' ? ['databases', database] : undefined
}

/** The config file as the user likely named it: relative to the working directory when inside it. */
function shortPath (file: string): string {
  const below = relative(process.cwd(), file)
  return below === '' || below.startsWith('..') || isAbsolute(below) ? file : below
}
