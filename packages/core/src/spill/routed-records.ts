import { REFERENCE } from './fingerprint-table.ts'

/**
 * How the spill records of a stream of fingerprinted keys are laid out ahead of a spill: the
 * partition of a key is its first fingerprint word's top bits (`word >>> shift`, one
 * partition when `shift` is 32), as SpillReferenceSet routes them.
 * - `reference`: the fingerprint with the state REFERENCE (records.ts `writeReference`);
 * - `candidate`: the fingerprint and an ordinal (records.ts `writeCandidate`): the key's
 *   place in its batch, to which the set that spills it adds its own count (`addOrdinals`);
 * - `numbered-reference`: the fingerprint with the state REFERENCE and an ordinal, as a
 *   candidate's: a reference whose key is read back by its place when it is missing.
 */
export interface RecordRoute {
  readonly shift: number
  readonly record: 'reference' | 'candidate' | 'numbered-reference'
  /**
   * When the set takes a batch's records alone, so that its lines and fingerprints need not
   * cross from the thread that read them (a batch that comes without them has none to give):
   * - `always`;
   * - `read-back`: when every file of the stream is a plain regular file (blockReadable), the
   *   files the set then reads its orphans' keys back from (CandidateFiles);
   * - undefined: never.
   */
  readonly recordsOnly?: 'always' | 'read-back' | undefined
}

/**
 * A batch's spill records grouped by partition, in the batch's order within each: partition
 * p's records are words `recordWords * starts[p]` to `recordWords * starts[p + 1]`. Made by a
 * line hash thread, so that the thread that spills copies a run of records per partition
 * instead of routing each key.
 */
export interface RoutedRecords {
  readonly route: RecordRoute
  readonly words: Uint32Array
  /** partitions + 1 record offsets. */
  readonly starts: Uint32Array
}

/** The `record` argument of the WebAssembly routeRecords for each kind of record. */
export const RECORD_KINDS = { reference: 0, candidate: 1, 'numbered-reference': 2 } as const

/** Words a record of `route` takes. */
export function recordWords (route: RecordRoute): 4 | 6 {
  return route.record === 'reference' ? 4 : 6
}

export function partitionsOf (route: RecordRoute): number {
  return route.shift >= 32 ? 1 : 2 ** (32 - route.shift)
}

/**
 * Writes the records of `length` keys (fingerprints four words apart in `fingerprints`) into
 * `words`, grouped by partition with a counting sort, and their partitions' offsets into
 * `starts` (partitions + 1 entries). `words` must hold `recordWords(route) * length` words.
 */
export function routeRecords (fingerprints: Uint32Array, length: number, route: RecordRoute, words: Uint32Array, starts: Uint32Array): void {
  const partitions = partitionsOf(route)
  const shift = route.shift
  starts.fill(0, 0, partitions + 1)
  if (shift >= 32) {
    starts[1] = length
  } else {
    for (let i = 0; i < length; i++) {
      const p = (fingerprints[4 * i] as number) >>> shift
      starts[p + 1] = (starts[p + 1] as number) + 1
    }
    for (let p = 0; p < partitions; p++) starts[p + 1] = (starts[p + 1] as number) + (starts[p] as number)
  }
  // `starts[p]` moves along partition p while filling and is put back after. The loops are
  // written out (no call a key): this runs once for every key read.
  const one = shift >= 32
  if (route.record === 'reference') {
    for (let i = 0, f = 0; i < length; i++, f += 4) {
      const a = fingerprints[f] as number
      const p = one ? 0 : a >>> shift
      const w = 4 * (starts[p] as number)
      starts[p] = (starts[p] as number) + 1
      words[w] = a
      words[w + 1] = fingerprints[f + 1] as number
      words[w + 2] = fingerprints[f + 2] as number
      words[w + 3] = ((fingerprints[f + 3] as number) & -4) | REFERENCE
    }
  } else {
    const numbered = route.record === 'numbered-reference'
    for (let i = 0, f = 0; i < length; i++, f += 4) {
      const a = fingerprints[f] as number
      const p = one ? 0 : a >>> shift
      const w = 6 * (starts[p] as number)
      starts[p] = (starts[p] as number) + 1
      words[w] = a
      words[w + 1] = fingerprints[f + 1] as number
      words[w + 2] = fingerprints[f + 2] as number
      words[w + 3] = numbered ? ((fingerprints[f + 3] as number) & -4) | REFERENCE : fingerprints[f + 3] as number
      words[w + 4] = i
      words[w + 5] = 0
    }
  }
  for (let p = partitions; p > 0; p--) starts[p] = starts[p - 1] as number
  starts[0] = 0
}

const TWO_32 = 4294967296

/** Adds `base` to the ordinal of every candidate or numbered reference record of `words` (6 words each). */
export function addOrdinals (words: Uint32Array, base: number): void {
  // Word by word with a carry: reading and writing each ordinal as a number took a division
  // a record (0.22 s of the spilling thread for 22M candidates).
  const low = base % TWO_32
  const high = (base - low) / TWO_32
  for (let w = 4; w < words.length; w += 6) {
    const sum = (words[w] as number) + low
    words[w] = sum
    words[w + 1] = (words[w + 1] as number) + high + (sum >= TWO_32 ? 1 : 0)
  }
}
