import { readdir, readFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import type { KeyEntry, PointLookup, Sink } from '@keydiff/core'

export const DAY = 86_400_000
export const OLD = new Date(Date.now() - 3 * DAY)

/** Every file under root (the work directory left out), as keys. */
export async function filesUnder (root: string): Promise<string[]> {
  const out: string[] = []
  const walk = async (dir: string): Promise<void> => {
    for (const dirent of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (dir === root && dirent.name === '.keydiff') continue
      const path = join(dir, dirent.name)
      if (dirent.isDirectory()) await walk(path)
      else out.push(relative(root, path).split(sep).join('/'))
    }
  }
  await walk(root)
  return out.sort()
}

/** A point look-up over a set the test changes, standing in for a table that gains rows. */
export function setLookup (name: string, keys: Iterable<string>): PointLookup & { keys: Set<string> } {
  const set = new Set(keys)
  return { name, keys: set, has: async batch => new Set(batch.filter(key => set.has(key))) }
}

/** Wraps a real sink to record every key it was asked to act on. */
export function recording<T extends Sink> (sink: T): T & { calls: string[][] } {
  const calls: string[][] = []
  return Object.assign(Object.create(sink) as T, {
    calls,
    apply: async (batch: readonly KeyEntry[], options?: { signal?: AbortSignal }) => {
      calls.push(batch.map(entry => entry.key))
      return await sink.apply(batch, options)
    }
  })
}

export async function planKeys (path: string): Promise<string[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean).slice(1)
  return lines.map(line => (JSON.parse(line) as { key: string }).key).sort()
}

/** The plausibility guards turned off, for tests of other behaviour whose stores are mostly orphans. */
export const UNGUARDED = { allowEmptyReferences: true, maxMissingShare: 1, maxOrphanShare: 1 } as const
