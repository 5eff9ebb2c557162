import { FingerprintTable, MAX_LOAD } from './fingerprint-table.ts'
import { CANDIDATE_BYTES, FINGERPRINT_BYTES } from './records.ts'
import { DRAIN_WASM_BASE64 } from './wasm/drain-wasm.ts'
import { instantiate, PAGE, wasm, type WasmMemory } from '../util/wasm.ts'

/** The exports of drain.wat; pointers are byte offsets into the table's memory. */
interface DrainKernel {
  load (records: number, n: number, stride: number, table: number, capacity: number): number
  probe (records: number, n: number, table: number, capacity: number, room: number, out: number, counts: number): number
  missing (records: number, n: number, table: number, capacity: number, out: number): number
  unmatched (table: number, capacity: number): number
}

const SLOT_BYTES = 16
let compiled: object | undefined

/**
 * A spill drain's table in WebAssembly (wasm/drain.wat): FingerprintTable's slots and rules,
 * without payloads (a missing reference is known by the ordinal of its record), with the
 * loops that fill and probe it in WebAssembly, a run of records a call. Its memory holds the
 * read buffer first (a ChunkReader reads the records straight into it, `readBuffer`), then a
 * call's orphan or missing ordinals, then the table, which alone grows. Growing the memory replaces its buffer: a
 * reader of the old one must take the new one (`readBuffer` again).
 */
export class DrainTable {
  size = 0
  private readonly kernel: DrainKernel
  private readonly memory: WasmMemory
  private readonly outPtr: number
  private readonly countsPtr: number
  private readonly base: number
  private tablePtr: number
  private slots = 0
  private limit = 0

  constructor (readonly readBytes: number) {
    // A reader asked for more than its buffer holds reads into another: never here, a record at most.
    if (readBytes < CANDIDATE_BYTES) throw new RangeError(`a drain reads at least ${CANDIDATE_BYTES} bytes at a time, not ${readBytes}`)
    this.outPtr = align(readBytes)
    this.countsPtr = this.outPtr + 8 * (Math.floor(readBytes / CANDIDATE_BYTES) + 1)
    this.base = this.tablePtr = align(this.countsPtr + 4)
    this.memory = new wasm.Memory({ initial: Math.ceil(this.base / PAGE) + 1 })
    compiled ??= new wasm.Module(Buffer.from(DRAIN_WASM_BASE64, 'base64'))
    this.kernel = instantiate<DrainKernel>(compiled, this.memory)
  }

  /** The bytes of a table sized for `expected` fingerprints (reset). */
  static bytesFor (expected: number): number {
    return FingerprintTable.capacityFor(expected) * SLOT_BYTES
  }

  /** The read buffer, a view of the memory as it is now. */
  readBuffer (): Buffer {
    return Buffer.from(this.memory.buffer, 0, this.readBytes)
  }

  get capacity (): number {
    return this.slots
  }

  get byteLength (): number {
    return this.slots * SLOT_BYTES
  }

  get grownByteLength (): number {
    return 2 * this.byteLength
  }

  /** New slots that may be filled before the table must grow. */
  get room (): number {
    return this.limit - this.size
  }

  /** Empties the table and sizes it for `expected` fingerprints. */
  reset (expected: number): void {
    this.tablePtr = this.base
    this.resize(FingerprintTable.capacityFor(expected))
    new Uint8Array(this.memory.buffer, this.tablePtr, this.byteLength).fill(0)
    this.size = 0
  }

  /** Adds `n` reference records (`recordBytes` each: 16, or 24 when numbered) read at byte `at`; at most `room`. */
  load (at: number, n: number, recordBytes: number = FINGERPRINT_BYTES): void {
    if (n > this.room) throw new RangeError(`${n} references do not fit the ${this.room} slots left`)
    this.size += this.kernel.load(at, n, recordBytes, this.tablePtr, this.slots)
  }

  /**
   * Looks up candidate records (24 bytes each) at byte `at`, up to `n`, stopping when the
   * table is full; the orphans' ordinals (8 bytes each, as records.ts writes them) go to
   * `orphans`. Returns the records looked up.
   */
  probe (at: number, n: number, orphans: (ordinals: Uint8Array) => void): number {
    const done = this.kernel.probe(at, n, this.tablePtr, this.slots, this.room, this.outPtr, this.countsPtr)
    const count = new Uint32Array(this.memory.buffer, this.countsPtr, 1)[0] as number
    this.size += count
    if (count > 0) orphans(new Uint8Array(this.memory.buffer, this.outPtr, 8 * count))
    return done
  }

  /**
   * After the probes: the ordinals of the numbered reference records (24 bytes each, `n` at
   * byte `at`, the partition's as loaded) that no candidate matched go to `missing` (8 bytes
   * each), once for a reference repeated.
   */
  missing (at: number, n: number, missing: (ordinals: Uint8Array) => void): void {
    const count = this.kernel.missing(at, n, this.tablePtr, this.slots, this.outPtr)
    if (count > 0) missing(new Uint8Array(this.memory.buffer, this.outPtr, 8 * count))
  }

  /** The references in the table that no candidate matched. */
  unmatched (): number {
    return this.kernel.unmatched(this.tablePtr, this.slots)
  }

  /** Doubles the table: its slots go to a new one after it, which then stays. */
  grow (): void {
    const old = this.tablePtr
    const oldSlots = this.slots
    this.tablePtr = align(old + oldSlots * SLOT_BYTES)
    this.resize(oldSlots * 2)
    new Uint8Array(this.memory.buffer, this.tablePtr, this.byteLength).fill(0)
    this.size = this.kernel.load(old, oldSlots, SLOT_BYTES, this.tablePtr, this.slots)
  }

  private resize (slots: number): void {
    this.slots = slots
    this.limit = Math.floor(slots * MAX_LOAD)
    const needed = this.tablePtr + slots * SLOT_BYTES - this.memory.buffer.byteLength
    if (needed > 0) this.memory.grow(Math.ceil(needed / PAGE))
  }
}

function align (n: number): number {
  return Math.ceil(n / 64) * 64
}
