import { join, resolve } from 'node:path'
import {
  directoryDeleteSink, directoryQuarantineSink, formatStoreLocation, lockFile, parseStoreLocation, PlanError, sameStore, type Lock, type PlanHeader
} from '@keydiff/core'
import { UsageError } from '../usage-error.ts'

/** The directory a plan acts on, and whether the plan names it itself. */
export interface PlanStore {
  root: string
  /** The plan names no store: `--store` said which, under `--allow-unbound-plan`. */
  unbound: boolean
}

/**
 * The store a plan acts on: the one its header names. `--store` may repeat it, never name
 * another (KEYDIFF_PLAN_STORE); a plan that names none (made from a listing) acts on
 * `--store` only with `--allow-unbound-plan`.
 */
export function storeOf (plan: { path: string, header: PlanHeader }, store: string | undefined, allowUnbound: boolean, usage: string): PlanStore {
  const given = store === undefined ? undefined : parseStoreLocation(resolve(store), '--store')
  if (plan.header.store === null) {
    if (given === undefined) throw new UsageError(`the plan names no store (its candidates are ${plan.header.candidates}): pass --store <dir> and --allow-unbound-plan`, usage)
    if (!allowUnbound) {
      throw new PlanError(plan.path, `it names no store, so nothing says it was made for ${formatStoreLocation(given)}; make it with keydiff plan --store, or pass --allow-unbound-plan`, { code: 'KEYDIFF_PLAN_STORE' })
    }
    return { root: given.path, unbound: true }
  }
  const planned = parseStoreLocation(plan.header.store, 'the plan\'s store')
  if (planned.scheme !== 'file') throw new UsageError(`the plan was made for ${plan.header.store}; keydiff apply and restore act on local directories (use keydiff run for other stores)`, usage)
  if (given !== undefined && !sameStore(given, planned)) {
    throw new PlanError(plan.path, `it was made for ${plan.header.store}, not ${formatStoreLocation(given)}: --store may only repeat the plan's store; make a plan for this one`, { code: 'KEYDIFF_PLAN_STORE' })
  }
  return { root: planned.path, unbound: false }
}

/** One sweep per store: the lock file in the store's work directory. */
export function storeLock (root: string): Lock {
  return lockFile({ path: join(root, '.keydiff', 'lock'), target: `dir:${root}` })
}

export function storeSink (root: string, action: string, trash: string | undefined, usage: string) {
  if (action === 'delete') return directoryDeleteSink({ root })
  if (action === 'quarantine') return directoryQuarantineSink({ root, trash })
  throw new UsageError(`--action must be delete or quarantine, not ${JSON.stringify(action)}`, usage)
}

export function positiveInteger (value: string | undefined, option: string, usage: string): number | undefined {
  if (value === undefined) return undefined
  const number = Number(value)
  if (!Number.isInteger(number) || number < 0) throw new UsageError(`${option} must be a non-negative integer, not ${JSON.stringify(value)}`, usage)
  return number
}
