import type { DiffPart } from '../engine/diff-types.ts'
import type { KeyBatch } from '../keys/key-entry.ts'

/**
 * The exact confirmation of the hash strategy: holds the references and decides, for the
 * candidates, which are orphans. The in-memory set is the default; the disk spill and the
 * kept LevelDB index implement the same contract.
 */
export interface ReferenceSet {
  /** Bytes written to disk so far, for the stats. */
  readonly spilledBytes?: number
  /** Adds a batch of references. */
  add: (batch: KeyBatch) => void | Promise<void>
  /** All references are in. */
  seal: () => void | Promise<void>
  /**
   * Given candidates and the filter's verdict (`maybe[i]` 0 means key i is certainly not a
   * reference), returns the orphans it can settle now, each key once over the whole run.
   */
  probe: (batch: KeyBatch, maybe: Uint8Array) => KeyBatch | Promise<KeyBatch>
  /** The orphans held back by `probe` and, if they were asked for, the missing keys (in any order). */
  drain: () => AsyncIterable<DiffPart>
  /**
   * With `missingKeys: false`, the missing keys the set counted where they lay rather than
   * yield them, once `drain` has ended (the engine adds any it yields besides). Undefined
   * from a set that yields them all.
   */
  readonly missingCount?: number | undefined
  /** Frees memory and removes temporary files; called on success, error and abort. */
  close: () => void | Promise<void>
}

export interface ReferenceSetInit {
  memory: number
  trackMissing: boolean
  /**
   * False when only the missing keys' count is wanted (a plan's guard): the set need not keep
   * the references' keys, and may count the missing where it finds them (missingCount).
   * @default true
   */
  missingKeys?: boolean | undefined
  estimatedCount: number | undefined
  /** The diff's `threads`: how many threads the set may settle its work on. @default the machine's cores */
  threads?: number | undefined
  /** The diff's `transientParts`: the parts the set yields may reuse their memory once the next is asked for. */
  transientParts?: boolean | undefined
  signal?: AbortSignal | undefined
}

export type ReferenceSetFactory = ((init: ReferenceSetInit) => ReferenceSet | Promise<ReferenceSet>) & {
  /**
   * False when the sets it makes are exact on their own and ignore `maybe`: the engine then
   * builds no Bloom filter in exact mode and gives the set the whole budget. @default true
   */
  readonly usesFilter?: boolean
}
