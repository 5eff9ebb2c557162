import { dirname, resolve } from 'node:path'
import { formatStoreLocation, parseStoreLocation, PlanError, sameStore, storeContains, type PlanHeader, type StoreLocation } from '@keydiff/core'
import type { OpenedStore, StoreDriver } from '@keydiff/core/adapter'
import { loadConfig } from '../config/load-config.ts'
import { SCHEME_TYPES } from '../drivers/builtin-drivers.ts'
import { loadDriver } from '../drivers/load-driver.ts'
import { UsageError } from '../usage-error.ts'

/** The store a plan acts on, and whether the plan names it itself. */
export interface PlanStore {
  location: StoreLocation
  /** The plan names no store: `--store` said which, under `--allow-unbound-plan`. */
  unbound: boolean
}

/** `--store`: a location (`s3://bucket/`), or a directory's path. */
function storeOption (store: string): StoreLocation {
  return parseStoreLocation(/^[a-z][a-z0-9+.-]*:\/\//i.test(store) ? store : resolve(store), '--store')
}

/**
 * The store a plan acts on: the one its header names. `--store` may repeat it, never name
 * another (KEYDIFF_PLAN_STORE); a plan that names none (made from a listing) acts on
 * `--store` only with `--allow-unbound-plan`.
 */
export function storeOf (plan: { path: string, header: PlanHeader }, store: string | undefined, allowUnbound: boolean, usage: string): PlanStore {
  const given = store === undefined ? undefined : storeOption(store)
  if (plan.header.store === null) {
    if (given === undefined) throw new UsageError(`the plan names no store (its candidates are ${plan.header.candidates}): pass --store <dir> and --allow-unbound-plan`, usage)
    if (!allowUnbound) {
      throw new PlanError(plan.path, `it names no store, so nothing says it was made for ${formatStoreLocation(given)}; make it with keydiff plan --store, or pass --allow-unbound-plan`, { code: 'KEYDIFF_PLAN_STORE' })
    }
    return { location: given, unbound: true }
  }
  const planned = parseStoreLocation(plan.header.store, 'the plan\'s store')
  if (given !== undefined && !sameStore(given, planned)) {
    throw new PlanError(plan.path, `it was made for ${plan.header.store}, not ${formatStoreLocation(given)}: --store may only repeat the plan's store; make a plan for this one`, { code: 'KEYDIFF_PLAN_STORE' })
  }
  return { location: planned, unbound: false }
}

/** A plan's store opened through its driver. */
export interface PlanStoreOpened {
  driver: StoreDriver
  store: OpenedStore
}

/**
 * Opens the store at `location` through its driver: from the section of `config` that holds
 * it (its endpoint and credentials), else from the location alone through the built-in
 * driver of its scheme, credentials then coming from the environment. `plan` is the plan's
 * file; its directory is the run's work directory.
 */
export async function openStore (location: StoreLocation, config: string | undefined, plan: string, usage: string): Promise<PlanStoreOpened> {
  const workdir = dirname(resolve(plan))
  if (config !== undefined) {
    const file = resolve(config)
    const loaded = await loadConfig(file)
    const baseDir = dirname(file)
    for (const section of Object.values(loaded.stores ?? {})) {
      const driver = await loadDriver(section.type, baseDir)
      if (driver.scheme !== location.scheme) continue
      const store = driver.open(section, { env: process.env, baseDir, workdir })
      if (storeContains(parseStoreLocation(store.location('')), location)) return { driver, store }
      await store.close()
    }
    throw new UsageError(`no store of ${file} holds ${formatStoreLocation(location)}`, usage)
  }
  const type = SCHEME_TYPES[location.scheme]
  if (type === undefined) throw new UsageError(`no built-in store serves ${formatStoreLocation(location)}: pass --config <file> with a store section for it`, usage)
  const driver = await loadDriver(type, process.cwd())
  if (driver.sectionOf === undefined) throw new UsageError(`a ${type} store needs its settings: pass --config <file> with a store section for it`, usage)
  return { driver, store: driver.open(driver.sectionOf(location), { env: process.env, baseDir: process.cwd(), workdir }) }
}

/** `--trash`: a location as given (`s3://bucket/trash/`), or a directory's path resolved against the working directory. */
export function trashOption (trash: string | undefined): string | undefined {
  if (trash === undefined) return undefined
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(trash) ? trash : resolve(trash)
}

export function positiveInteger (value: string | undefined, option: string, usage: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`${option} must be a non-negative integer, not ${JSON.stringify(value)}`, usage)
  return number
}
