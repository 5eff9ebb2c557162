import { join, resolve } from 'node:path'
import { directoryDeleteSink, directoryQuarantineSink, lockFile, type Lock, type PlanHeader } from '@keydiff/core'
import { UsageError } from '../usage-error.ts'

/** The store a plan was made from: `--store`, else the `dir:` candidates named in its header. */
export function storeOf (header: PlanHeader, store: string | undefined, usage: string): string {
  if (store !== undefined) return resolve(store)
  if (header.candidates.startsWith('dir:')) return header.candidates.slice('dir:'.length)
  throw new UsageError(`the plan's candidates (${header.candidates}) are not a local directory: pass --store <dir>`, usage)
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
