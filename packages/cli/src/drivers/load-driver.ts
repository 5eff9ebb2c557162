import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { KeydiffError } from '@keydiff/core'
import type { StoreDriver } from '@keydiff/core/adapter'
import { BUILTIN_DRIVERS, builtinType } from './builtin-drivers.ts'
import { missingPackage } from './import-peer.ts'

/**
 * A store type that names no driver: not a built-in type, a package that is not installed
 * (or lacks what it needs), or one that exports no driver. `KEYDIFF_CONFIG_INVALID`: the
 * config names it, and the message says what to install.
 */
export class DriverLoadError extends KeydiffError {
  readonly type: string

  constructor (type: string, message: string, options: { cause?: unknown } = {}) {
    super(message, 'KEYDIFF_CONFIG_INVALID', options)
    this.name = 'DriverLoadError'
    this.type = type
  }
}

const loaded = new Map<string, Promise<StoreDriver>>()

/**
 * The driver of a store type, imported on first use: a built-in type (`s3`) or its package
 * (`@keydiff/s3`) from the CLI's own dependencies; any other package name from the
 * `node_modules` of the config's directory (or its parents), else from the CLI's.
 */
export async function loadDriver (type: string, baseDir: string): Promise<StoreDriver> {
  const builtin = builtinType(type)
  const id = builtin ?? `${resolve(baseDir)}\0${type}`
  let driver = loaded.get(id)
  if (driver === undefined) {
    driver = builtin === undefined ? loadPackage(type, baseDir) : loadBuiltin(builtin)
    loaded.set(id, driver)
    driver.catch(() => { loaded.delete(id) })
  }
  return await driver
}

async function loadBuiltin (type: string): Promise<StoreDriver> {
  const entry = BUILTIN_DRIVERS[type] as (typeof BUILTIN_DRIVERS)[string]
  let module: Record<string, unknown>
  try {
    module = await import(entry.package) as Record<string, unknown>
  } catch (error) {
    throw new DriverLoadError(type, `a ${type} store needs ${missingPackage(error) ?? entry.install.join(' and ')}: npm install ${entry.install.join(' ')}`, { cause: error })
  }
  return asDriver(module[entry.export], type, entry.package)
}

async function loadPackage (name: string, baseDir: string): Promise<StoreDriver> {
  if (!/^(@[a-z0-9][\w.~-]*\/)?[a-z0-9][\w.~-]*$/i.test(name)) {
    throw new DriverLoadError(name, `${JSON.stringify(name)} is no store type (${Object.keys(BUILTIN_DRIVERS).join(', ')}) nor a package name`)
  }
  const entry = packageEntry(name, baseDir)
  let module: Record<string, unknown>
  try {
    module = await import(entry === undefined ? name : pathToFileURL(entry).href) as Record<string, unknown>
  } catch (error) {
    const missing = missingPackage(error)
    if (missing === name) {
      throw new DriverLoadError(name, `${JSON.stringify(name)} is no built-in store type (${Object.keys(BUILTIN_DRIVERS).join(', ')}) and no package of that name is installed where the config is (install a store package with npm install <package>)`, { cause: error })
    }
    throw new DriverLoadError(name, `the store package ${name} could not be loaded${missing === undefined ? `: ${(error as Error).message}` : `: it needs ${missing} (npm install ${missing})`}`, { cause: error })
  }
  return asDriver(module.driver, name, name)
}

/** A driver has a type, a config schema, its actions and open(); anything else is refused by name. */
function asDriver (value: unknown, type: string, from: string): StoreDriver {
  const driver = value as Partial<StoreDriver> | undefined
  if (driver === null || typeof driver !== 'object' || typeof driver.type !== 'string' || typeof driver.open !== 'function' ||
    typeof driver.configSchema?.properties !== 'object' || typeof driver.actions !== 'object' || typeof driver.scheme !== 'string') {
    throw new DriverLoadError(type, `the package ${from} exports no store driver (an export named driver with type, scheme, configSchema, actions and open)`)
  }
  return driver as StoreDriver
}

/**
 * The file a package's bare import resolves to, looked up in the `node_modules` of `from`
 * and its parents: its `exports` (the `import` or `default` condition of `.`) or `main`.
 * Undefined when no such package is installed there.
 */
function packageEntry (name: string, from: string): string | undefined {
  for (let directory = resolve(from); ; directory = dirname(directory)) {
    const root = join(directory, 'node_modules', name)
    if (existsSync(join(root, 'package.json'))) {
      const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { exports?: unknown, main?: string }
      const target = exportOf(manifest.exports) ?? manifest.main ?? 'index.js'
      return join(root, target)
    }
    if (dirname(directory) === directory) return undefined
  }
}

function exportOf (exports: unknown): string | undefined {
  if (typeof exports === 'string') return exports
  if (exports === null || typeof exports !== 'object') return undefined
  const conditions = exports as Record<string, unknown>
  if ('.' in conditions) return exportOf(conditions['.'])
  for (const condition of ['import', 'node', 'default']) {
    const target = exportOf(conditions[condition])
    if (target !== undefined) return target
  }
  return undefined
}
