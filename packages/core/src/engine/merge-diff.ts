import { asSourceError } from '../errors.ts'
import { checkOrder } from '../keys/check-order.ts'
import { compareKeys } from '../keys/compare-keys.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { KeySource } from '../contracts/key-source.ts'
import type { DiffPart, DiffStats, MissingWanted } from './diff-types.ts'

const OUTPUT_BATCH = 4096

class Cursor {
  batch: KeyBatch = []
  index = 0
  done = false
  private readonly iterator: AsyncIterator<KeyBatch>

  constructor (readonly source: KeySource, private readonly onBatch: (batch: KeyBatch) => void) {
    this.iterator = checkOrder(source)[Symbol.asyncIterator]()
  }

  get key (): string | undefined {
    return this.done ? undefined : (this.batch[this.index] as KeyEntry).key
  }

  get entry (): KeyEntry {
    return this.batch[this.index] as KeyEntry
  }

  /** Moves past the current key and every repeat of it. */
  async skip (): Promise<void> {
    const key = this.key
    do {
      this.index++
      if (this.index >= this.batch.length) await this.fill()
    } while (!this.done && (this.batch[this.index] as KeyEntry).key === key)
  }

  async fill (): Promise<void> {
    try {
      for (;;) {
        const next = await this.iterator.next()
        if (next.done === true) {
          this.done = true
          return
        }
        if (next.value.length > 0) {
          this.onBatch(next.value)
          this.batch = next.value
          this.index = 0
          return
        }
      }
    } catch (error) {
      throw asSourceError(this.source.name, error)
    }
  }

  async close (): Promise<void> {
    await this.iterator.return?.()
  }
}

/**
 * Streaming merge of two sorted sources: O(1) memory, no filter, no index. The order of
 * both sides is checked as keys flow; duplicates on either side are collapsed.
 */
export async function * mergeDiff (candidates: KeySource, references: KeySource, stats: DiffStats, missingWanted: MissingWanted, signal?: AbortSignal): AsyncGenerator<DiffPart> {
  const left = new Cursor(candidates, batch => {
    stats.candidates.count += batch.length
    for (const entry of batch) if (entry.size !== undefined) stats.candidates.bytes += entry.size
  })
  const right = new Cursor(references, batch => { stats.references.count += batch.length })
  let orphans: KeyEntry[] = []
  let missing: KeyEntry[] = []
  try {
    stats.phase = 'candidates'
    await Promise.all([left.fill(), right.fill()])
    stats.referenceScanStartedAt ??= references.scanStartedAt?.toISOString()
    while (!left.done || !right.done) {
      signal?.throwIfAborted()
      const order = left.done ? 1 : right.done ? -1 : compareKeys(left.key as string, right.key as string)
      if (order < 0) {
        const entry = left.entry
        orphans.push(entry)
        stats.orphans.count++
        if (entry.size !== undefined) stats.orphans.bytes += entry.size
        await left.skip()
      } else if (order > 0) {
        if (missingWanted !== undefined) {
          if (missingWanted === 'keys') missing.push({ key: right.key as string })
          ;(stats.missing as { count: number }).count++
        }
        await right.skip()
      } else {
        await Promise.all([left.skip(), right.skip()])
      }
      if (orphans.length >= OUTPUT_BATCH) {
        yield { kind: 'orphans', entries: orphans }
        orphans = []
      }
      if (missing.length >= OUTPUT_BATCH) {
        yield { kind: 'missing', entries: missing }
        missing = []
      }
    }
    if (orphans.length > 0) yield { kind: 'orphans', entries: orphans }
    if (missing.length > 0) yield { kind: 'missing', entries: missing }
  } finally {
    await Promise.all([left.close(), right.close()])
  }
}
