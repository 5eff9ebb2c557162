import assert from 'node:assert/strict'
import { arraySource, diff, KeydiffError, type KeyEntry, type KeySource } from '@keydiff/core'
import { LINE_CHUNKS, type LineChunk } from '@keydiff/core/adapter'

export async function collect (source: KeySource): Promise<KeyEntry[]> {
  const out: KeyEntry[] = []
  for await (const batch of source) out.push(...batch)
  return out
}

/** The keys of a source, sorted. */
export async function keysOf (source: KeySource): Promise<string[]> {
  return (await collect(source)).map(entry => entry.key).sort()
}

/** An assert.rejects / throws predicate: a KeydiffError with this code. */
export const isCode = (code: string) => (error: unknown): boolean => {
  assert.ok(error instanceof KeydiffError, `expected a KeydiffError, got ${String(error)}`)
  assert.equal(error.code, code, error.message)
  return true
}

/** Runs `during` once, after the first batch: the application writing while the scan runs. */
export function whileScanning (source: KeySource, during: () => Promise<void>): KeySource {
  // Not a spread: that would copy the byte-path capability (LINE_CHUNKS), and the engine would
  // read the table past this wrapper.
  return {
    name: source.name,
    sorted: source.sorted,
    estimatedCount: source.estimatedCount,
    get scanStartedAt () { return source.scanStartedAt },
    async * [Symbol.asyncIterator] () {
      let first = true
      for await (const batch of source) {
        yield batch
        if (first) await during()
        first = false
      }
    }
  }
}

export type WithChunks = KeySource & { [LINE_CHUNKS]?: () => AsyncIterable<LineChunk> }

/** Orphans of `candidates` against the source, and how often the engine read the source's bytes. */
export async function orphansOf (source: WithChunks, candidates: readonly string[]): Promise<{ orphans: string[], byteReads: number }> {
  let byteReads = 0
  const chunks = source[LINE_CHUNKS]
  if (chunks !== undefined) source[LINE_CHUNKS] = () => { byteReads++; return chunks() }
  const orphans: string[] = []
  for await (const part of diff({ candidates: arraySource(candidates), references: source })) {
    for (const entry of part.entries) orphans.push(entry.key)
  }
  return { orphans: orphans.sort(), byteReads }
}

/** The candidates not in `references`, sorted and distinct: what a Set finds. */
export function setOrphans (candidates: readonly string[], references: readonly string[]): string[] {
  const referenced = new Set(references)
  return [...new Set(candidates.filter(key => !referenced.has(key)))].sort()
}
