import { endianness } from 'node:os'

/**
 * How the reference index lays out LevelDB. The 128-bit fingerprint space is cut into 2^bits
 * ranges by the fingerprint's top bits; each range that holds references is one LevelDB entry,
 * `0x01` + the range number (u32 big-endian, so LevelDB's order is the fingerprints' order) →
 * the range's run (index-run.ts): its fingerprints sorted, with the sources that claim each.
 * One entry per few thousand references, not per reference: LevelDB moves 0.2–0.65M entries/s
 * from Node whatever their size, and a run's fingerprints are copied straight into typed arrays.
 * The metadata is one JSON value under `0x00 meta`.
 */
export const INDEX_FORMAT = 'keydiff-reference-index'
// 1: one LevelDB entry per reference (fingerprint → source ids and key).
export const INDEX_VERSION = 2
export const META_KEY = Buffer.from('\x00meta', 'latin1')
export const RUNS_FROM = Buffer.from([1])
export const RUNS_TO = Buffer.from([2])

// A run's fingerprints are stored as the host's 32-bit words, little-endian on every platform
// Node ships for; a big-endian host would read them scrambled, so it refuses to open an index.
export const HOST_LITTLE_ENDIAN = endianness() === 'LE'

export interface IndexSourceInfo {
  name: string
  /** When this source's last scan into the index started. */
  scanStartedAt: string
}

export interface IndexMeta {
  format: typeof INDEX_FORMAT
  version: number
  sources: IndexSourceInfo[]
  /** Distinct references held. */
  count: number
  /** The fingerprint space is cut into 2^rangeBits ranges, one LevelDB entry each. */
  rangeBits: number
  createdAt: string
}

// References per run the range count is chosen for: large enough that LevelDB's per-entry cost
// vanishes, small enough that `index add` of a few keys rewrites little.
const RUN_TARGET = 2048
const MIN_BITS = 4
const MAX_BITS = 20

/** Range bits for an index expected to hold `count` references. */
export function rangeBitsFor (count: number): number {
  const bits = Math.ceil(Math.log2(Math.max(1, count) / RUN_TARGET))
  return Math.min(MAX_BITS, Math.max(MIN_BITS, bits))
}

/** The range of fingerprint i of `words`. */
export function rangeOf (words: Uint32Array, i: number, bits: number): number {
  return (words[4 * i] as number) >>> (32 - bits)
}

/** The LevelDB key of a range. */
export function rangeKey (range: number): Buffer {
  const key = Buffer.allocUnsafe(5)
  key[0] = 1
  key.writeUInt32BE(range, 1)
  return key
}
