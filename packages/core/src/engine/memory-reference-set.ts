import { KeydiffError } from '../errors.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import { formatBytes } from '../util/size.ts'
import type { DiffPart, ReferenceSet, ReferenceSetInit } from './diff-types.ts'

// What a JS Map entry costs besides the key's characters (measured order of magnitude).
const ENTRY_OVERHEAD = 80
const OUTPUT_BATCH = 4096

/**
 * References held in a Map in memory. Exact, fast, and bounded by the budget: when the
 * references outgrow it the run fails with KEYDIFF_MEMORY_EXCEEDED rather than the process.
 */
export function memoryReferenceSet (init: ReferenceSetInit): ReferenceSet {
  // 1 = matched by a candidate; only tracked when missing keys are wanted.
  const references = new Map<string, number>()
  const emitted = new Set<string>()
  let bytes = 0

  const account = (key: string): void => {
    bytes += key.length * 2 + ENTRY_OVERHEAD
    if (bytes > init.memory) {
      throw new KeydiffError(`the exact reference set outgrew the memory budget of ${formatBytes(init.memory)} at ${references.size} keys; raise memory, or use bloom mode`, 'KEYDIFF_MEMORY_EXCEEDED')
    }
  }

  return {
    add (batch: KeyBatch) {
      for (let i = 0; i < batch.length; i++) {
        const key = (batch[i] as KeyEntry).key
        if (!references.has(key)) {
          account(key)
          references.set(key, 0)
        }
      }
    },
    seal () {},
    probe (batch: KeyBatch, maybe: Uint8Array) {
      const orphans: KeyEntry[] = []
      for (let i = 0; i < batch.length; i++) {
        const entry = batch[i] as KeyEntry
        const state = maybe[i] === 0 ? undefined : references.get(entry.key)
        if (state === undefined) {
          if (!emitted.has(entry.key)) {
            account(entry.key)
            emitted.add(entry.key)
            orphans.push(entry)
          }
        } else if (init.trackMissing && state === 0) {
          references.set(entry.key, 1)
        }
      }
      return orphans
    },
    async * drain (): AsyncGenerator<DiffPart> {
      if (!init.trackMissing) return
      let out: KeyEntry[] = []
      for (const [key, state] of references) {
        if (state !== 0) continue
        out.push({ key })
        if (out.length >= OUTPUT_BATCH) {
          yield { kind: 'missing', entries: out }
          out = []
        }
      }
      if (out.length > 0) yield { kind: 'missing', entries: out }
    },
    close () {
      references.clear()
      emitted.clear()
    }
  }
}
