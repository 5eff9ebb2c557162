/** Slot states of a FingerprintTable. */
export const EMPTY = 0
/** A reference no candidate has matched yet. */
export const REFERENCE = 1
/** A reference a candidate has matched. */
export const MATCHED = 2
/** A candidate already reported as an orphan: later repeats are skipped. */
export const EMITTED = 3

const MAX_LOAD = 0.75
const MIN_CAPACITY = 1024

/**
 * An open-addressing hash set of 128-bit fingerprints in typed arrays, with a state byte and
 * a 32-bit payload (where the key's bytes live) per slot. The fingerprints are already
 * uniform, so the low words pick the slot directly. Bytes: 21 per slot, at most 3/4 full.
 */
export class FingerprintTable {
  words: Uint32Array
  states: Uint8Array
  payloads: Uint32Array
  size = 0
  private mask: number

  constructor (expected = 0) {
    const capacity = FingerprintTable.capacityFor(expected)
    this.words = new Uint32Array(capacity * 4)
    this.states = new Uint8Array(capacity)
    this.payloads = new Uint32Array(capacity)
    this.mask = capacity - 1
  }

  get capacity (): number {
    return this.states.length
  }

  get byteLength (): number {
    return FingerprintTable.bytesFor(this.capacity)
  }

  static bytesFor (capacity: number): number {
    return capacity * 21
  }

  /** The capacity a table needs to hold `count` fingerprints without growing. */
  static capacityFor (count: number): number {
    let capacity = MIN_CAPACITY
    while (capacity * MAX_LOAD < count) capacity *= 2
    return capacity
  }

  /** The bytes the table will take after its next growth. */
  get grownByteLength (): number {
    return FingerprintTable.bytesFor(this.capacity * 2)
  }

  /** True when one more insert would make the table grow. */
  get full (): boolean {
    return this.size + 1 > this.capacity * MAX_LOAD
  }

  /** The slot holding the fingerprint, or -1 - (the slot where it would go). */
  find (a: number, b: number, c: number, d: number): number {
    const words = this.words
    const states = this.states
    const mask = this.mask
    let slot = (b ^ d) & mask
    for (;;) {
      if (states[slot] === EMPTY) return -1 - slot
      const at = slot * 4
      if (words[at + 3] === d && words[at + 1] === b && words[at] === a && words[at + 2] === c) return slot
      slot = (slot + 1) & mask
    }
  }

  /** Fills an empty slot found by `find`; grows first when needed (then finds again). */
  insert (a: number, b: number, c: number, d: number, state: number, payload: number): number {
    if (this.full) this.grow()
    let slot = this.find(a, b, c, d)
    if (slot >= 0) return slot
    slot = -1 - slot
    const at = slot * 4
    this.words[at] = a
    this.words[at + 1] = b
    this.words[at + 2] = c
    this.words[at + 3] = d
    this.states[slot] = state
    this.payloads[slot] = payload
    this.size++
    return slot
  }

  grow (): void {
    const { words, states, payloads } = this
    const capacity = states.length * 2
    this.words = new Uint32Array(capacity * 4)
    this.states = new Uint8Array(capacity)
    this.payloads = new Uint32Array(capacity)
    this.mask = capacity - 1
    this.size = 0
    for (let slot = 0; slot < states.length; slot++) {
      const state = states[slot] as number
      if (state === EMPTY) continue
      const at = slot * 4
      this.insert(words[at] as number, words[at + 1] as number, words[at + 2] as number, words[at + 3] as number, state, payloads[slot] as number)
    }
  }
}
