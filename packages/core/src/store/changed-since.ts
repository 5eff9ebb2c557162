import type { Stats } from 'node:fs'
import type { KeyEntry } from '../keys/key-entry.ts'

/**
 * Why a file no longer looks like the entry the plan recorded (rewritten since), or
 * undefined. A rewritten file may belong to a new reference, so it is left alone.
 */
export function changedSince (entry: KeyEntry, stats: Stats): string | undefined {
  if (!stats.isFile()) return 'not a regular file'
  if (entry.lastModified !== undefined && stats.mtime.getTime() > entry.lastModified.getTime()) {
    return `changed since the plan: modified at ${stats.mtime.toISOString()}, after the plan's ${entry.lastModified.toISOString()}`
  }
  if (entry.size !== undefined && stats.size !== entry.size) return `changed since the plan: size changed from ${entry.size} to ${stats.size} bytes`
  return undefined
}
