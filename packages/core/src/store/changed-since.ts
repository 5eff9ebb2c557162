import type { Stats } from 'node:fs'
import type { KeyEntry } from '../keys/key-entry.ts'

/**
 * Why a file no longer looks like the entry the plan recorded (rewritten since), or
 * undefined. A rewritten file may belong to a new reference, so it is left alone.
 */
export function changedSince (entry: KeyEntry, stats: Stats): string | undefined {
  if (!stats.isFile()) return 'not a regular file'
  if (entry.lastModified !== undefined && stats.mtime.getTime() > entry.lastModified.getTime()) {
    return `modified since the plan (${stats.mtime.toISOString()} > ${entry.lastModified.toISOString()})`
  }
  if (entry.size !== undefined && stats.size !== entry.size) return `size changed since the plan (${stats.size} ≠ ${entry.size} bytes)`
  return undefined
}
