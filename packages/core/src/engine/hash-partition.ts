import { pickRejected } from '../bloom/pick-rejected.ts'

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

/** What a route adds a partition's keys to: a filter (SplitBlockBloomFilter), or a reading thread's adder (FilterAdder). */
export interface HashAdder {
  addHashes: (words: Uint32Array, stride: 2 | 4, count: number) => void
}

/** What a route checks a partition's keys against: a filter, or a reading thread's checker (FilterChecker). */
export interface HashChecker {
  checkHashes: (words: Uint32Array, stride: 2 | 4, count: number, out: Uint8Array) => void
}

/**
 * Routes hashed keys to one partition's filter: of `count` keys whose hashes are
 * `words[stride * i]` (upper word) and `words[stride * i + 1]`, only the partition's are added
 * or checked, compacted first so that the filter takes them in one call. The whole key space
 * takes them all as they are, with no copy.
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
  add (filter: HashAdder, words: Uint32Array, stride: 2 | 4, count: number): number {
    if (this.partition.bits === 0) {
      filter.addHashes(words, stride, count)
      return count
    }
    const n = this.select(words, stride, count)
    filter.addHashes(this.selected, 2, n)
    return n
  }

  /**
   * The partition's keys among the `count` that the filter rejects (certainly not
   * references), as indexes into the `count`: `rejected[0 .. returned)`, valid until the next call.
   */
  reject (filter: HashChecker, words: Uint32Array, stride: 2 | 4, count: number): { rejected: Uint32Array, length: number } {
    if (this.partition.bits === 0) {
      this.grow(count)
      filter.checkHashes(words, stride, count, this.maybe)
      return { rejected: this.indexes, length: pickRejected(this.maybe, count, this.indexes) }
    }
    const n = this.select(words, stride, count)
    filter.checkHashes(this.selected, 2, n, this.maybe)
    const indexes = this.indexes
    let out = 0
    const maybe = this.maybe
    // Written over the indexes already read: out never passes j. Without a branch, as select.
    for (let j = 0; j < n; j++) {
      indexes[out] = indexes[j] as number
      out += (maybe[j] as number) ^ 1
    }
    return { rejected: indexes, length: out }
  }

  private select (words: Uint32Array, stride: 2 | 4, count: number): number {
    if (this.selected.length < 2 * count) this.selected = new Uint32Array(4 * count)
    this.grow(count)
    const { mask, selected, indexes } = this
    const residue = this.partition.residue
    let n = 0
    // Every key is written at n, which moves on only past the partition's: no branch on the
    // key, whose partition is a coin toss (6.3 ns a key with the branch, 2.x without).
    for (let i = 0, w = 0; i < count; i++, w += stride) {
      const high = words[w] as number
      selected[2 * n] = high
      selected[2 * n + 1] = words[w + 1] as number
      indexes[n] = i
      // 1 when the residue matches: their XOR is below 2^31 (a partition keeps to the low 10
      // bits, bloom-diff.ts), so only 0 - 1 sets bit 31.
      n += (((high & mask) ^ residue) - 1) >>> 31
    }
    return n
  }

  // Room for the indexes and answers of `count` keys.
  private grow (count: number): void {
    if (this.indexes.length < count) this.indexes = new Uint32Array(2 * count)
    if (this.maybe.length < count) this.maybe = new Uint8Array(2 * count)
  }
}
