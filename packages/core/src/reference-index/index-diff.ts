import { AbortError, InvalidOptionError, asSourceError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import { toKeySource, type KeySourceLike } from '../keys/key-source.ts'
import type { DiffPart, DiffRun, DiffStats } from '../engine/diff-types.ts'
import { Fingerprinter } from '../spill/fingerprint.ts'
import { spillReferenceSet } from '../spill/spill-reference-set.ts'
import { parseSize } from '../util/size.ts'
import type { ReferenceIndex } from './reference-index.ts'

export interface IndexDiffOptions {
  /** The keys that exist (an object listing). */
  candidates: KeySourceLike
  /** An open reference index. */
  index: ReferenceIndex
  /** Memory budget for the orphans' de-duplication. @default '256MiB' */
  memory?: number | string
  /** Where the de-duplication spills. @default os.tmpdir() */
  tmpdir?: string
  signal?: AbortSignal
}

// Candidates the filter accepts are looked up in sorted runs of this many.
const LOOKUP_RUN = 16384

/**
 * The orphans of a candidate source against a kept reference index: the index's Bloom filter
 * settles most orphans with no disk access, the rest are looked up in LevelDB in sorted runs.
 * Each orphan is reported once. Missing keys need a one-shot diff.
 */
export function diffIndex (options: IndexDiffOptions): DiffRun {
  const candidates = toKeySource(options.candidates, 'candidates')
  const memory = parseSize(options.memory ?? '256MiB', 'memory')
  if (memory < 1024 * 1024) throw new InvalidOptionError('memory', `${memory} bytes is below the 1 MiB minimum`)
  const index = options.index
  const stats: DiffStats = {
    mode: 'exact',
    strategy: 'hash',
    phase: 'pending',
    candidates: { count: 0, bytes: 0, source: candidates.name },
    references: { count: index.meta.count, source: `index:${index.directory}` },
    orphans: { count: 0, bytes: 0 },
    missing: undefined,
    filter: { blocks: index.filter.blocks, bytes: index.filter.byteLength, bitsPerKey: index.meta.count === 0 ? 0 : index.filter.byteLength * 8 / index.meta.count, estimatedFalsePositiveRate: index.filter.estimatedFalsePositiveRate() },
    memoryBudget: memory,
    referenceScanStartedAt: index.scanStartedAt,
    startedAt: undefined,
    durationMs: undefined
  }
  const signal = options.signal

  const run = async function * (): AsyncGenerator<DiffPart> {
    const started = performance.now()
    stats.startedAt = new Date().toISOString()
    const once = await spillReferenceSet({ tmpdir: options.tmpdir })({ memory, trackMissing: false, estimatedCount: undefined, signal })
    const fingerprinter = new Fingerprinter()
    let words = new Uint32Array(LOOKUP_RUN * 4)
    let found = new Uint8Array(LOOKUP_RUN)
    const report = (orphans: KeyEntry[]): DiffPart | undefined => {
      const fresh = once.probe(orphans, found) as KeyEntry[]
      if (fresh.length === 0) return undefined
      stats.orphans.count += fresh.length
      for (const entry of fresh) if (entry.size !== undefined) stats.orphans.bytes += entry.size
      return { kind: 'orphans', entries: fresh }
    }
    try {
      await once.seal()
      stats.phase = 'candidates'
      try {
        for await (const batch of candidates) {
          signal?.throwIfAborted()
          stats.candidates.count += batch.length
          if (words.length < batch.length * 4) {
            words = new Uint32Array(batch.length * 4)
            found = new Uint8Array(batch.length)
          }
          const hashed = fingerprinter.fingerprint(batch)
          const orphans: KeyEntry[] = []
          let maybe = 0
          const maybes: KeyEntry[] = []
          for (let i = 0; i < batch.length; i++) {
            const entry = batch[i] as KeyEntry
            if (entry.size !== undefined) stats.candidates.bytes += entry.size
            if (!index.filter.checkHash(hashed[4 * i] as number, hashed[4 * i + 1] as number)) {
              orphans.push(entry)
              continue
            }
            words.set(hashed.subarray(4 * i, 4 * i + 4), 4 * maybe++)
            maybes.push(entry)
          }
          if (maybe > 0) {
            await index.lookup(words, maybe, found)
            for (let i = 0; i < maybe; i++) if (found[i] === 0) orphans.push(maybes[i] as KeyEntry)
          }
          const part = report(orphans)
          if (part !== undefined) yield part
        }
      } catch (error) {
        throw asSourceError(candidates.name, error)
      }
      stats.phase = 'finishing'
      for await (const part of once.drain()) {
        stats.orphans.count += part.entries.length
        for (const entry of part.entries) if (entry.size !== undefined) stats.orphans.bytes += entry.size
        yield part
      }
      stats.phase = 'done'
    } catch (error) {
      stats.phase = 'failed'
      if (signal?.aborted === true) throw new AbortError('the diff was aborted', { cause: signal.reason })
      throw error
    } finally {
      await once.close()
      stats.durationMs = performance.now() - started
    }
  }

  let iterated = false
  return {
    stats,
    [Symbol.asyncIterator] () {
      if (iterated) throw new TypeError('a diff run can be iterated once')
      iterated = true
      return run()
    }
  }
}
