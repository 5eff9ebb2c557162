import type { LineChunk } from '../contracts/key-source.ts'
import type { KeyBatch } from '../keys/key-entry.ts'
import { SBBF_SHARED_WASM_BASE64, SBBF_WASM_BASE64 } from './wasm/sbbf-wasm.ts'
import { instantiate, PAGE, wasm, type WasmMemory } from '../util/wasm.ts'
import { partitionsOf, RECORD_KINDS, recordWords, type RecordRoute } from '../spill/routed-records.ts'

/** The exports of sbbf.wat; pointers are byte offsets into the arena's memory. */
export interface SbbfKernel {
  /** XXH64 (`seed`) of each key, 8 bytes a key at `out`; `step` as for `fingerprint`. */
  hash (n: number, offsets: number, step: number, bytes: number, out: number, seed: number): void
  /**
   * Both XXH64 halves of each key's fingerprint, 16 bytes a key at `out`; key i is bytes
   * [offsets[i * step / 4], offsets[i * step / 4 + 1]), so a step of 4 reads keys packed by
   * `pack` and a step of 8 the lines packed by `packLines`.
   */
  fingerprint (n: number, offsets: number, step: number, bytes: number, out: number): void
  /** As `fingerprint` for lines where splitLines left them: line i is bytes[starts[i], ends[i]). */
  fingerprintLines (n: number, starts: number, ends: number, bytes: number, out: number): void
  /** As `hash` with seed 0 for lines where splitLines left them. */
  hashLines (n: number, starts: number, ends: number, bytes: number, out: number): void
  /** The non-blank lines of bytes[0, len) as starts and ends (u32 each); returns their count. */
  splitLines (bytes: number, len: number, starts: number, ends: number): number
  /**
   * Lines picked[0, n) of bytes (indexes into starts and ends, increasing), each and a LF, one
   * after another at `out`; picked[k] becomes line k's end there. Returns the bytes written;
   * reads and writes up to 15 bytes past them.
   */
  gatherLines (n: number, picked: number, starts: number, ends: number, bytes: number, out: number): number
  /**
   * The spill records of n fingerprints at fps grouped by partition (a >>> shift, or one),
   * a reference's (record 0, 16 bytes), a candidate's (1, 24: its place as ordinal) or a
   * numbered reference's (2, 24), and the partitions' first records (partitions + 1 u32) at
   * starts: as routeRecords.
   */
  routeRecords (n: number, fps: number, shift: number, partitions: number, record: number, out: number, starts: number): void
  /** `scratch` holds 8 bytes per key: the hashes between the hash pass and the bit pass; `step` as for `fingerprint`. */
  add (n: number, offsets: number, step: number, bytes: number, filter: number, blocks: number, scratch: number): void
  /** `out` holds 8 bytes per key (the hashes between the passes); byte i is then key i's answer. */
  check (n: number, offsets: number, step: number, bytes: number, filter: number, blocks: number, out: number): void
  /** As `add` for keys already hashed: key i's 8 bytes of hash at `hashes + i * stride`. */
  addHashes (n: number, hashes: number, stride: number, filter: number, blocks: number): void
  /** As `addHashes`, with atomic ORs: for a shared filter that other threads add to at the same time. */
  addHashesAtomic (n: number, hashes: number, stride: number, filter: number, blocks: number): void
  /** As `check` for keys already hashed; byte i of `out` is key i's answer. */
  checkHashes (n: number, hashes: number, stride: number, filter: number, blocks: number, out: number): void
}

const MAX_PAGES = 65536
/** Keys per kernel call; a batch larger than this is handled in several calls. */
export const CHUNK_KEYS = 4096
/** Lines per `packLines`: each line takes two offsets, its start and its end. */
export const LINES_PER_PACK = CHUNK_KEYS / 2
const INITIAL_KEY_BYTES = 1 << 20
/** Kernel output: 16 bytes a key at most (a fingerprint). */
const OUT_BYTES = CHUNK_KEYS * 16
const SCRATCH_BYTES = (CHUNK_KEYS + 1) * 4 + OUT_BYTES + INITIAL_KEY_BYTES
/** The largest region an arena can reserve before its scratch space (4 GiB of memory in all). */
export const MAX_RESERVED_BYTES = MAX_PAGES * PAGE - SCRATCH_BYTES - PAGE

let compiled: object | undefined
let compiledShared: object | undefined
let shared: WasmArena | undefined

function kernelModule (): object {
  compiled ??= new wasm.Module(Buffer.from(SBBF_WASM_BASE64, 'base64'))
  return compiled
}

/** The kernel over `memory`: a shared memory (WasmArena's `shared`) takes the module built for one. */
export function kernelOn (memory: WasmMemory, isShared: boolean): SbbfKernel {
  const module = isShared ? compiledShared ??= new wasm.Module(Buffer.from(SBBF_SHARED_WASM_BASE64, 'base64')) : kernelModule()
  return instantiate<SbbfKernel>(module, memory)
}

/**
 * One WebAssembly instance and its memory: `reserved` bytes at offset 0 (a filter's bitset,
 * or nothing), then the per-chunk scratch: key offsets, kernel output, and the packed UTF-8
 * key bytes last, so that only they grow when a key is too long for them.
 */
export class WasmArena {
  readonly kernel: SbbfKernel
  readonly offsetsPtr: number
  readonly outPtr: number
  readonly bytesPtr: number
  /** The arena's memory: with `shared`, other threads may run the kernel over it (kernelOn). */
  readonly memory: WasmMemory
  private buffer: ArrayBuffer | SharedArrayBuffer
  private bytes: Buffer
  private u32: Uint32Array
  private bytesCap: number
  // The starts of the lines the last splitLines left in the arena as views, while the arena
  // still holds them (any other use of it clears this).
  private split: Uint32Array | undefined
  private splitBytes = 0

  constructor (reserved: number, readonly shared = false) {
    if (reserved > MAX_RESERVED_BYTES) throw new RangeError(`a WebAssembly filter holds at most ${MAX_RESERVED_BYTES} bytes`)
    this.offsetsPtr = align16(reserved)
    this.outPtr = align16(this.offsetsPtr + (CHUNK_KEYS + 1) * 4)
    this.bytesPtr = this.outPtr + OUT_BYTES
    const initial = Math.ceil((this.bytesPtr + INITIAL_KEY_BYTES) / PAGE)
    this.memory = shared ? new wasm.Memory({ initial, maximum: MAX_PAGES, shared: true }) : new wasm.Memory({ initial })
    this.kernel = kernelOn(this.memory, shared)
    this.buffer = this.memory.buffer
    this.bytes = Buffer.from(this.buffer)
    this.u32 = new Uint32Array(this.buffer)
    this.bytesCap = this.buffer.byteLength - this.bytesPtr
  }

  /** The memory's current buffer; a new one after the memory grew. */
  get current (): ArrayBuffer | SharedArrayBuffer {
    return this.memory.buffer
  }

  /** A copy of `n` 32-bit words of kernel output into `target` from `at` on. */
  copyOut (n: number, target: Uint32Array, at: number): void {
    target.set(this.u32.subarray(this.outPtr >>> 2, (this.outPtr >>> 2) + n), at)
  }

  /** Copies at most CHUNK_KEYS keys' words (64 KiB) into the byte area, and returns where they went. */
  copyIn (words: Uint32Array): number {
    this.split = undefined
    this.u32.set(words, this.bytesPtr >>> 2)
    return this.bytesPtr
  }

  /** The kernel's byte output for the last chunk. */
  outBytes (n: number): Uint8Array {
    return new Uint8Array(this.buffer, this.outPtr, n)
  }

  /**
   * Packs keys `from`, `from + 1`, ... of the batch as UTF-8 into the arena, stopping at
   * CHUNK_KEYS keys or a full byte area, and returns how many it packed (at least one).
   */
  pack (batch: KeyBatch, from: number): number {
    this.split = undefined
    const first = (batch[from] as { key: string }).key
    if (first.length * 3 > this.bytesCap) this.grow(first.length * 3)
    const u32 = this.u32
    const bytes = this.bytes
    const base = (this.offsetsPtr >>> 2) - from
    const limit = Math.min(batch.length, from + CHUNK_KEYS)
    // Three bytes per UTF-16 unit is the most UTF-8 needs, so no write is ever cut short.
    const room = this.bytesPtr + this.bytesCap
    let at = this.bytesPtr
    let end = from
    u32[base + from] = 0
    for (; end < limit; end++) {
      const key = (batch[end] as { key: string }).key
      if (at + key.length * 3 > room) break
      at += utf8Write(bytes, key, at)
      u32[base + end + 1] = at - this.bytesPtr
    }
    return end - from
  }

  /**
   * Copies lines `from`, `from + 1`, ... of a chunk into the arena in one piece, with every
   * line's start and end as consecutive offsets: a kernel given a step of 8 reads line k from
   * offsets 2k and 2k + 1. Returns m, the lines packed (at least one, at most CHUNK_KEYS / 2):
   * the byte area grows for a line longer than it, as `pack` grows it for a long key.
   */
  packLines (chunk: LineChunk, from: number): number {
    this.split = undefined
    const { bytes, starts, ends } = chunk
    const base = starts[from] as number
    if ((ends[from] as number) - base > this.bytesCap) this.grow((ends[from] as number) - base)
    const limit = Math.min(chunk.length, from + LINES_PER_PACK)
    const room = this.bytesCap
    let to = from
    while (to < limit && (ends[to] as number) - base <= room) to++
    this.bytes.set(bytes.subarray(base, ends[to - 1]), this.bytesPtr)
    const u32 = this.u32
    let o = this.offsetsPtr >>> 2
    for (let k = from; k < to; k++) {
      u32[o++] = (starts[k] as number) - base
      u32[o++] = (ends[k] as number) - base
    }
    return to - from
  }

  /**
   * The non-blank lines of `region` (LF or CRLF ends), found by the kernel: the region is
   * copied into the byte area, with room after it for the lines' starts and ends. With
   * `views` these are views of the arena, valid until its next call: no garbage a region
   * (a thread that does little else collects it late, and it piles up).
   */
  splitLines (region: Uint8Array, views = false): { starts: Uint32Array, ends: Uint32Array, length: number } {
    this.roomToSplit(region.length)
    this.bytes.set(region, this.bytesPtr)
    return this.splitFilled(region.length, views)
  }

  /**
   * The byte area as a region of `length` bytes for a reader to fill where splitLines would
   * copy it (then `splitFilled`, with no copy): a view valid until the arena's next use. A
   * larger region asked for next keeps the bytes filled, in a new view.
   */
  fillable (length: number): Buffer {
    this.split = undefined
    if (length > this.bytesCap) this.grow(length)
    return this.filled(length)
  }

  /** The first `length` bytes of the byte area as filled (fillable), a view valid until the arena's next use. */
  filled (length: number): Buffer {
    return this.bytes.subarray(this.bytesPtr, this.bytesPtr + length)
  }

  /** As splitLines, of the first `length` bytes of the region filled in place (fillable). */
  splitFilled (length: number, views = false): { starts: Uint32Array, ends: Uint32Array, length: number } {
    this.roomToSplit(length)
    const layout = splitLayout(this.bytesPtr, length)
    const n = this.kernel.splitLines(this.bytesPtr, length, layout.startsAt, layout.endsAt)
    const take = views ? this.u32.subarray.bind(this.u32) : this.u32.slice.bind(this.u32)
    const starts = take(layout.startsAt >>> 2, (layout.startsAt >>> 2) + n)
    this.split = views ? starts : undefined
    this.splitBytes = length
    return { starts, ends: take(layout.endsAt >>> 2, (layout.endsAt >>> 2) + n), length: n }
  }

  /**
   * Lines picked[0, count) (increasing, at least one) of a chunk, each and a newline, one
   * after another: their bytes as a view of the arena, valid until its next use, with line
   * k's end in them written to ends[k]. Gathered where the last `splitLines(region, true)`
   * left them when `chunk` is that split, else the chunk's bytes and offsets up to its last
   * picked line are copied in first (a megabyte's copy is cheaper than a copy a line in JS).
   */
  gatherLines (chunk: LineChunk, picked: ArrayLike<number>, count: number, ends: Uint32Array): Uint8Array {
    let layout: SplitLayout
    if (chunk.starts === this.split && chunk.length === chunk.starts.length) {
      layout = splitLayout(this.bytesPtr, this.splitBytes)
    } else {
      // Laid out as a split of the bytes up to the last picked line's end would be.
      const last = picked[count - 1] as number
      const length = chunk.ends[last] as number
      layout = splitLayout(this.bytesPtr, length)
      if (layout.end - this.bytesPtr > this.bytesCap) this.grow(layout.end - this.bytesPtr)
      this.split = undefined
      this.bytes.set(chunk.bytes.subarray(0, length), this.bytesPtr)
      this.u32.set(chunk.starts.subarray(0, last + 1), layout.startsAt >>> 2)
      this.u32.set(chunk.ends.subarray(0, last + 1), layout.endsAt >>> 2)
    }
    const u32 = this.u32
    const at = layout.pickedAt >>> 2
    for (let k = 0; k < count; k++) u32[at + k] = picked[k] as number
    const n = this.kernel.gatherLines(count, layout.pickedAt, layout.startsAt, layout.endsAt, this.bytesPtr, layout.outAt)
    ends.set(u32.subarray(at, at + count))
    return new Uint8Array(this.buffer, layout.outAt, n)
  }

  /**
   * The hashes of the lines the last `splitLines(region, true)` left here, hashed where they
   * lie (no copy by packLines): `stride` words a line into `words`, as `fingerprint` (4) or
   * `hash` with seed 0 (2) make them. False, hashing nothing, when `chunk` is not that split
   * or the arena has been used since.
   */
  hashSplitLines (chunk: LineChunk, stride: 2 | 4, words: Uint32Array): boolean {
    const starts = chunk.starts
    if (starts !== this.split || chunk.length !== starts.length) return false
    const startsAt = starts.byteOffset
    const endsAt = chunk.ends.byteOffset
    for (let from = 0; from < chunk.length; from += CHUNK_KEYS) {
      const m = Math.min(CHUNK_KEYS, chunk.length - from)
      if (stride === 4) this.kernel.fingerprintLines(m, startsAt + 4 * from, endsAt + 4 * from, this.bytesPtr, this.outPtr)
      else this.kernel.hashLines(m, startsAt + 4 * from, endsAt + 4 * from, this.bytesPtr, this.outPtr)
      this.copyOut(stride * m, words, stride * from)
    }
    return true
  }

  /**
   * The fingerprints of the lines the last `splitLines(region, true)` left here into
   * `words` (four words a line, as `hashSplitLines` with a stride of 4), and their spill
   * records grouped by partition into `records` and `starts`, as routeRecords
   * (spill/routed-records.ts) makes them from those words, in WebAssembly; with no `words`,
   * the records alone. False, doing nothing, when `chunk` is not that split or the arena has
   * been used since.
   */
  routeSplitLines (chunk: LineChunk, route: RecordRoute, words: Uint32Array | undefined, records: Uint32Array, starts: Uint32Array): boolean {
    const lines = chunk.starts
    if (lines !== this.split || chunk.length !== lines.length) return false
    const n = chunk.length
    const partitions = partitionsOf(route)
    const recordLength = recordWords(route) * n
    const startsAt = lines.byteOffset
    const endsAt = chunk.ends.byteOffset
    const fps = align16(splitLayout(this.bytesPtr, this.splitBytes).end)
    const out = fps + 16 * n
    const partitionsAt = align16(out + 4 * recordLength)
    const end = partitionsAt + 4 * (partitions + 1)
    // Growing replaces the memory's buffer: the split's views go with it, its offsets stay.
    if (end - this.bytesPtr > this.bytesCap) this.grow(end - this.bytesPtr)
    this.kernel.fingerprintLines(n, startsAt, endsAt, this.bytesPtr, fps)
    this.kernel.routeRecords(n, fps, route.shift, partitions, RECORD_KINDS[route.record], out, partitionsAt)
    const u32 = this.u32
    words?.set(u32.subarray(fps >>> 2, (fps >>> 2) + 4 * n))
    records.set(u32.subarray(out >>> 2, (out >>> 2) + recordLength))
    starts.set(u32.subarray(partitionsAt >>> 2, (partitionsAt >>> 2) + partitions + 1))
    return true
  }

  // Room for a split of `length` bytes, and for gatherLines and routeSplitLines after it:
  // growing the memory then would take the split's views away.
  private roomToSplit (length: number): void {
    const end = splitLayout(this.bytesPtr, length).end
    if (end - this.bytesPtr > this.bytesCap) this.grow(end - this.bytesPtr)
  }

  private grow (keyBytes: number): void {
    this.split = undefined
    const needed = this.bytesPtr + keyBytes - this.buffer.byteLength
    const pages = Math.ceil(needed / PAGE)
    if (this.buffer.byteLength / PAGE + pages > MAX_PAGES) throw new RangeError(`${keyBytes} bytes of keys do not fit in WebAssembly memory`)
    this.memory.grow(pages)
    this.buffer = this.memory.buffer
    this.bytes = Buffer.from(this.buffer)
    this.u32 = new Uint32Array(this.buffer)
    this.bytesCap = this.buffer.byteLength - this.bytesPtr
  }
}

interface SplitLayout { startsAt: number, endsAt: number, pickedAt: number, outAt: number, end: number }

/**
 * Where splitLines puts a region of `length` bytes at `bytesPtr` and its lines' starts and
 * ends, and where gatherLines puts the picked lines' indexes and their bytes: a region
 * of n bytes holds at most n / 2 + 1 lines, and its picked lines with a newline each at most
 * n + 1 bytes. The kernels read and write up to 16 bytes past a region and past gathered
 * bytes; bytesPtr is 16-aligned, so all of these are too.
 */
function splitLayout (bytesPtr: number, length: number): SplitLayout {
  const most = (length >>> 1) + 1
  const startsAt = bytesPtr + align16(length + 16)
  const endsAt = startsAt + 4 * most
  const pickedAt = endsAt + align16(4 * most)
  const outAt = pickedAt + align16(4 * most)
  return { startsAt, endsAt, pickedAt, outAt, end: outAt + align16(length + 1 + 16) }
}

/**
 * The arena of every caller whose work is done before it returns (pack, run a kernel, copy
 * out): hashing batches, fingerprinting and splitting lines. A filter keeps its own, its
 * bitset in it.
 */
export function sharedArena (): WasmArena {
  shared ??= new WasmArena(0)
  return shared
}

// Buffer#utf8Write skips the argument normalisation of Buffer#write: measured 18M against
// 11–17M short keys a second, and packing is the larger half of the hashing cost.
interface Utf8Writer { utf8Write?: (text: string, offset: number) => number }
const utf8Write: (bytes: Buffer, text: string, offset: number) => number =
  typeof (Buffer.prototype as Utf8Writer).utf8Write === 'function'
    ? (bytes, text, offset) => (bytes as Utf8Writer as Required<Utf8Writer>).utf8Write(text, offset)
    : (bytes, text, offset) => bytes.write(text, offset, 'utf8')

function align16 (n: number): number {
  return Math.ceil(n / 16) * 16
}
