import type { SplitBlockBloomFilter } from '../bloom/split-block-filter.ts'

/**
 * A share of the key space for one pass of a bloom diff: the keys whose filter hash (XXH64,
 * the Bloom filter's) has `residue` in the low `bits` bits of its upper word. The filter picks
 * a key's block from the top bits of that word, so the keys of a partition still spread over
 * every block of its filter (while the filter has fewer than 2^(32 - bits) blocks).
 */
export interface HashPartition {
  readonly bits: number
  readonly residue: number
  /** References expected in it, when known (an estimate, or a count from an earlier scan). */
  readonly expected: number | undefined
}

export const WHOLE_KEY_SPACE: HashPartition = { bits: 0, residue: 0, expected: undefined }

/**
 * The partition cut into `parts` (a power of two) finer ones that cover it exactly; each
 * expects its share of `expected`.
 */
export function splitPartition (partition: HashPartition, parts: number, expected: number | undefined): HashPartition[] {
  const more = Math.log2(parts)
  if (!Number.isInteger(more) || more < 0) throw new RangeError(`a partition splits into a power of two parts, not ${parts}`)
  return Array.from({ length: parts }, (_, j) => ({
    bits: partition.bits + more,
    residue: partition.residue + j * 2 ** partition.bits,
    expected: expected === undefined ? undefined : expected / parts
  }))
}

/**
 * Routes hashed keys to one partition's filter: of `count` keys whose hashes are
 * `words[stride * i]` (upper word) and `words[stride * i + 1]`, only the partition's are added
 * or checked, compacted first so that the filter takes them in one call.
 */
export class PartitionRoute {
  private readonly mask: number
  private selected = new Uint32Array(0)
  private indexes = new Uint32Array(0)
  private maybe = new Uint8Array(0)

  constructor (readonly partition: HashPartition) {
    this.mask = partition.bits === 0 ? 0 : (2 ** partition.bits - 1)
  }

  /** Adds the partition's keys among the `count` to the filter; returns how many there were. */
  add (filter: SplitBlockBloomFilter, words: Uint32Array, stride: 2 | 4, count: number): number {
    const n = this.select(words, stride, count)
    filter.addHashes(this.selected, 2, n)
    return n
  }

  /**
   * The partition's keys among the `count` that the filter rejects (certainly not
   * references), as indexes into the `count`: `rejected[0 .. returned)`, valid until the next call.
   */
  reject (filter: SplitBlockBloomFilter, words: Uint32Array, stride: 2 | 4, count: number): { rejected: Uint32Array, length: number } {
    const n = this.select(words, stride, count)
    if (this.maybe.length < n) this.maybe = new Uint8Array(n * 2)
    filter.checkHashes(this.selected, 2, n, this.maybe)
    const indexes = this.indexes
    let out = 0
    // Written over the indexes already read: out never passes j.
    for (let j = 0; j < n; j++) if (this.maybe[j] === 0) indexes[out++] = indexes[j] as number
    return { rejected: indexes, length: out }
  }

  private select (words: Uint32Array, stride: 2 | 4, count: number): number {
    if (this.selected.length < 2 * count) {
      this.selected = new Uint32Array(4 * count)
      this.indexes = new Uint32Array(2 * count)
    }
    const { mask, selected, indexes } = this
    const residue = this.partition.residue
    let n = 0
    for (let i = 0, w = 0; i < count; i++, w += stride) {
      const high = words[w] as number
      if ((high & mask) !== residue) continue
      selected[2 * n] = high
      selected[2 * n + 1] = words[w + 1] as number
      indexes[n++] = i
    }
    return n
  }
}
