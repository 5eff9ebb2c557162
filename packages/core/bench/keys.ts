import type { KeyEntry } from '../src/index.ts'

export const BATCH = 4096

/** A deterministic stream of 32-bit values (xorshift32), so every run sees the same keys. */
export function xorshift (seed: number): () => number {
  let state = seed >>> 0 || 1
  return () => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return state >>> 0
  }
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0')

/**
 * A key shaped like `blobs/ab/cd/<40 hex>` (52 bytes), flat in memory like a key read from a
 * file: a concatenation is a rope that the first reader would flatten, which would charge
 * the first pass for the generator's work. Converting to a number flattens it.
 */
export function blobKey (next: () => number): string {
  const key = joinKey(next)
  Number(key)
  return key
}

function joinKey (next: () => number): string {
  const a = next()
  return `blobs/${hex8(a).slice(0, 2)}/${hex8(a).slice(2, 4)}/${hex8(next())}${hex8(next())}${hex8(next())}${hex8(next())}${hex8(next())}`
}

/** `count` distinct-in-practice keys in batches of BATCH entries. */
export function blobBatches (count: number, seed: number): KeyEntry[][] {
  const next = xorshift(seed)
  const batches: KeyEntry[][] = []
  for (let done = 0; done < count; done += BATCH) {
    const batch: KeyEntry[] = new Array(Math.min(BATCH, count - done))
    for (let i = 0; i < batch.length; i++) batch[i] = { key: blobKey(next) }
    batches.push(batch)
  }
  return batches
}
