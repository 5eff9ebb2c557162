import { AbortError, InvalidOptionError } from '../errors.ts'
import type { KeyBatch } from '../keys/key-entry.ts'
import { toKeySource } from '../keys/key-source.ts'
import type { KeySource, KeySourceLike } from '../contracts/key-source.ts'
import { union } from '../transforms/union.ts'
import { parseSize } from '../util/size.ts'
import type { DiffOptions, DiffPart, DiffRun, DiffStats, MissingWanted } from './diff-types.ts'
import { bloomDiff } from './bloom-diff.ts'
import { hashDiff } from './hash-diff.ts'
import { mergeDiff } from './merge-diff.ts'
import { spillReferenceSet } from '../spill/spill-reference-set.ts'
import { defaultThreads } from './default-threads.ts'

export const DEFAULT_MEMORY = '256MiB'
// In bloom mode the filter is all there is; the rest of the budget is the sources' batches and
// the JS heap around them.
const BLOOM_FILTER_SHARE = 0.5

/**
 * Streams the orphans (candidates − references) and, when asked, the missing keys
 * (references − candidates). Nothing is deleted here: the sweep turns orphans into a plan.
 *
 * Safety invariant, in every mode: a referenced key is never reported as an orphan. A source
 * that fails fails the run; there is no partial answer.
 */
export function diff (options: DiffOptions): DiffRun {
  if (options === null || typeof options !== 'object') throw new TypeError('diff: options are required')
  const mode = options.mode ?? 'exact'
  if (mode !== 'exact' && mode !== 'bloom') throw new InvalidOptionError('mode', `${JSON.stringify(mode)} is not 'exact' or 'bloom'`)
  const missing: MissingWanted = options.missing === true ? 'keys' : options.missing === 'count' ? 'count' : undefined
  if (missing !== undefined && mode === 'bloom') throw new InvalidOptionError('missing', 'missing keys need exact mode: a Bloom filter cannot say which references were matched')
  const memory = parseSize(options.memory ?? DEFAULT_MEMORY, 'memory')
  if (memory < 1024 * 1024) throw new InvalidOptionError('memory', `${memory} bytes is below the 1 MiB minimum`)
  const falsePositiveRate = options.falsePositiveRate ?? 0.01
  if (!(falsePositiveRate > 0 && falsePositiveRate < 1)) throw new InvalidOptionError('falsePositiveRate', `${falsePositiveRate} is not between 0 and 1`)
  const candidates = toKeySource(options.candidates, 'candidates')
  const references = referenceUnion(options.references)
  const threads = options.threads ?? defaultThreads(memory)
  if (!(Number.isInteger(threads) && threads >= 1)) throw new InvalidOptionError('threads', `${String(threads)} is not a whole number of at least 1`)
  // One thread: none started, unless a reading thread is asked for.
  const readThread = options.readThread ?? (threads === 1 ? false : undefined)
  const strategy = options.strategy ?? (candidates.sorted && references.sorted ? 'merge' : 'hash')
  if (strategy === 'merge' && !(candidates.sorted && references.sorted)) {
    throw new InvalidOptionError('strategy', `merge needs both sides sorted (${candidates.name}: ${String(candidates.sorted)}, ${references.name}: ${String(references.sorted)})`)
  }

  const stats: DiffStats = {
    mode,
    strategy,
    phase: 'pending',
    candidates: { count: 0, bytes: 0, source: candidates.name },
    references: { count: 0, source: references.name },
    orphans: { count: 0, bytes: 0 },
    missing: missing !== undefined ? { count: 0 } : undefined,
    filter: undefined,
    memoryBudget: memory,
    referenceScanStartedAt: undefined,
    startedAt: undefined,
    durationMs: undefined
  }

  const run = async function * (): AsyncGenerator<DiffPart> {
    const started = performance.now()
    stats.startedAt = new Date().toISOString()
    const signal = options.signal
    try {
      signal?.throwIfAborted()
      yield * strategy === 'merge'
        ? mergeDiff(candidates, references, stats, missing, signal)
        : mode === 'bloom'
          ? bloomDiff({ candidates, references, falsePositiveRate, memory, filterBytes: Math.floor(memory * BLOOM_FILTER_SHARE), stats, readThread, threads, signal })
          : hashDiff({ candidates, references, memory, falsePositiveRate, missing, referenceSet: options.referenceSet ?? spillReferenceSet({ tmpdir: options.tmpdir }), stats, readThread, threads, transientParts: options.transientParts, signal })
      stats.phase = 'done'
    } catch (error) {
      stats.phase = 'failed'
      if (signal?.aborted === true) throw new AbortError('the diff was aborted', { cause: signal.reason })
      throw error
    } finally {
      stats.durationMs = performance.now() - started
    }
  }

  let started = false
  return {
    stats,
    [Symbol.asyncIterator] () {
      if (started) throw new TypeError('a diff run can be iterated once')
      started = true
      return run()
    }
  }
}

function referenceUnion (references: DiffOptions['references']): KeySource {
  if (Array.isArray(references)) return union(...(references as KeySourceLike[]))
  return toKeySource(references as KeySourceLike, 'references')
}

/** Only the orphans of a diff, as batches. */
export async function * orphans (options: Omit<DiffOptions, 'missing'>): AsyncGenerator<KeyBatch> {
  for await (const part of diff(options)) if (part.kind === 'orphans') yield part.entries
}
