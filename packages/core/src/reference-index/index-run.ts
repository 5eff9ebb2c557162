import { compareFingerprints } from './fingerprint-sort.ts'

/**
 * A range's references: their fingerprints in 128-bit order and the set of sources that claims
 * each. Stored as one LevelDB value (little-endian):
 * `u32 n, u32 s, n × 16-byte fingerprint, n × set index (none when s = 1, u16 when s < 65536,
 * else u32), s × (u32 count, count × u16 source id)`. Most runs have one set (one source), so
 * a run costs its fingerprints and 8 bytes.
 */
export interface Run {
  readonly length: number
  /** 4 words per fingerprint. */
  readonly words: Uint32Array
  /** Source-id sets, each ascending. */
  readonly sets: ReadonlyArray<readonly number[]>
  /** Fingerprint i is claimed by `sets[setOf[i]]`; undefined when there is one set. */
  readonly setOf: Uint32Array | undefined
}

const HEAD = 8

export function encodeRun (run: Run): Buffer {
  const n = run.length
  const width = run.sets.length <= 1 ? 0 : run.sets.length <= 0xffff ? 2 : 4
  let setBytes = 0
  for (const set of run.sets) setBytes += 4 + 2 * set.length
  const value = Buffer.allocUnsafe(HEAD + 16 * n + width * n + setBytes)
  value.writeUInt32LE(n, 0)
  value.writeUInt32LE(run.sets.length, 4)
  value.set(new Uint8Array(run.words.buffer, run.words.byteOffset, 16 * n), HEAD)
  let at = HEAD + 16 * n
  const setOf = run.setOf
  if (setOf !== undefined && width > 0) {
    const narrow = width === 2 ? Uint16Array.from(setOf.subarray(0, n)) : setOf.subarray(0, n)
    value.set(new Uint8Array(narrow.buffer, narrow.byteOffset, width * n), at)
    at += width * n
  }
  for (const set of run.sets) {
    at = value.writeUInt32LE(set.length, at)
    for (const id of set) at = value.writeUInt16LE(id, at)
  }
  return value
}

/** Copies a run's fingerprints into `into` (grown when too small); returns the array and the count. */
export function runWords (value: Buffer, into: Uint32Array): { words: Uint32Array, length: number } {
  const n = value.readUInt32LE(0)
  const words = into.length >= 4 * n ? into : new Uint32Array(4 * n)
  new Uint8Array(words.buffer, words.byteOffset, 16 * n).set(value.subarray(HEAD, HEAD + 16 * n))
  return { words, length: n }
}

export function decodeRun (value: Buffer): Run {
  const { words, length: n } = runWords(value, new Uint32Array(0))
  const count = value.readUInt32LE(4)
  const width = count <= 1 ? 0 : count <= 0xffff ? 2 : 4
  let at = HEAD + 16 * n
  let setOf: Uint32Array | undefined
  if (width > 0) {
    const bytes = value.subarray(at, at + width * n)
    const copy = new Uint8Array(bytes)
    setOf = width === 2 ? Uint32Array.from(new Uint16Array(copy.buffer, 0, n)) : new Uint32Array(copy.buffer, 0, n)
    at += width * n
  }
  const sets: number[][] = []
  for (let s = 0; s < count; s++) {
    const size = value.readUInt32LE(at)
    at += 4
    const set: number[] = []
    for (let k = 0; k < size; k++, at += 2) set.push(value.readUInt16LE(at))
    sets.push(set)
  }
  return { length: n, words, sets, setOf }
}

/** The source ids that claim fingerprint i of a run. */
export function setAt (run: Run, i: number): readonly number[] {
  return run.sets[run.setOf === undefined ? 0 : run.setOf[i] as number] ?? []
}

/** Fingerprints [from, to) of sorted `add`, claimed by one source: a run of their own. */
export function freshRun (add: Uint32Array, from: number, to: number, id: number): Run {
  return { length: to - from, words: add.subarray(4 * from, 4 * to), sets: [[id]], setOf: undefined }
}

export interface RunChange {
  /** The new run; undefined when it holds nothing. */
  run: Run | undefined
  /** Fingerprints the run gained (add) or lost (remove). */
  delta: number
  /** Whether anything changed, so the run must be written. */
  changed: boolean
}

/** `run` with source `id` claiming fingerprints [from, to) of sorted `add`. */
export function addToRun (run: Run, add: Uint32Array, from: number, to: number, id: number): RunChange {
  const n = run.length
  const out = new RunBuilder(n + to - from)
  const keep = new Int32Array(run.sets.length).fill(-1)
  const joined = new Int32Array(run.sets.length).fill(-1)
  const alone = out.intern([id])
  let changed = false
  let delta = 0
  let i = 0
  let j = from
  while (i < n || j < to) {
    const c = i >= n ? 1 : j >= to ? -1 : compareFingerprints(run.words, i, add, j)
    if (c > 0) {
      out.push(add, j++, alone)
      delta++
      changed = true
      continue
    }
    const s = run.setOf === undefined ? 0 : run.setOf[i] as number
    const set = run.sets[s] as readonly number[]
    if (c < 0 || set.includes(id)) {
      if (keep[s] === -1) keep[s] = out.intern(set)
      out.push(run.words, i++, keep[s] as number)
      if (c === 0) j++
      continue
    }
    if (joined[s] === -1) joined[s] = out.intern([...set, id].sort((a, b) => a - b))
    out.push(run.words, i++, joined[s] as number)
    j++
    changed = true
  }
  return { run: out.build(), delta, changed }
}

/** `run` with source `id`'s claim dropped from fingerprints [from, to) of sorted `drop`. */
export function removeFromRun (run: Run, drop: Uint32Array, from: number, to: number, id: number): RunChange {
  const out = new RunBuilder(run.length)
  const keep = new Int32Array(run.sets.length).fill(-1)
  const without = new Int32Array(run.sets.length).fill(-1)
  let changed = false
  let delta = 0
  let j = from
  for (let i = 0; i < run.length; i++) {
    while (j < to && compareFingerprints(drop, j, run.words, i) < 0) j++
    const s = run.setOf === undefined ? 0 : run.setOf[i] as number
    const set = run.sets[s] as readonly number[]
    if (j >= to || compareFingerprints(drop, j, run.words, i) !== 0 || !set.includes(id)) {
      if (keep[s] === -1) keep[s] = out.intern(set)
      out.push(run.words, i, keep[s] as number)
      continue
    }
    changed = true
    if (set.length === 1) {
      delta++
      continue
    }
    if (without[s] === -1) without[s] = out.intern(set.filter(other => other !== id))
    out.push(run.words, i, without[s] as number)
  }
  return { run: out.build(), delta, changed }
}

/** A run assembled in order, its source sets interned. */
class RunBuilder {
  private readonly words: Uint32Array
  private readonly setOf: Uint32Array
  private readonly sets: number[][] = []
  private readonly ids = new Map<string, number>()
  private length = 0

  constructor (capacity: number) {
    this.words = new Uint32Array(4 * capacity)
    this.setOf = new Uint32Array(capacity)
  }

  intern (set: readonly number[]): number {
    const name = set.join(',')
    let s = this.ids.get(name)
    if (s === undefined) {
      s = this.sets.push([...set]) - 1
      this.ids.set(name, s)
    }
    return s
  }

  push (words: Uint32Array, i: number, set: number): void {
    const k = this.length++
    this.words[4 * k] = words[4 * i] as number
    this.words[4 * k + 1] = words[4 * i + 1] as number
    this.words[4 * k + 2] = words[4 * i + 2] as number
    this.words[4 * k + 3] = words[4 * i + 3] as number
    this.setOf[k] = set
  }

  build (): Run | undefined {
    if (this.length === 0) return undefined
    // Sets interned but then unused (all their fingerprints dropped) are left out.
    const used = new Int32Array(this.sets.length).fill(-1)
    const sets: number[][] = []
    const setOf = this.setOf.subarray(0, this.length)
    for (let k = 0; k < this.length; k++) {
      const s = setOf[k] as number
      if (used[s] === -1) used[s] = sets.push(this.sets[s] as number[]) - 1
      setOf[k] = used[s] as number
    }
    return { length: this.length, words: this.words.subarray(0, 4 * this.length), sets, setOf: sets.length > 1 ? setOf : undefined }
  }
}
