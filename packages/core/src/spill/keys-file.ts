import { KeydiffError } from '../errors.ts'
import type { KeyBatch, KeyEntry } from '../keys/key-entry.ts'
import type { DiffPart } from '../engine/diff-types.ts'
import { lineText, splitLines } from '../engine/line-chunks.ts'
import { truncatedSpillFile } from './disk-full-error.ts'
import type { OrphanMarks } from './orphan-marks.ts'
import { ChunkReader, PartitionWriter } from './partition-files.ts'
import { entryBound, entryLength, readEntry, writeEntry } from './records.ts'
import type { WorkDir } from './work-dir.ts'

/**
 * The spilled candidates (or numbered references), once each and in their order, so that a
 * partition record needs only a fingerprint and an ordinal and the keys are written
 * sequentially rather than scattered over the partitions' buffers. The file is a run of blocks, each a head of three u32 words
 * (kind, count, body bytes) and a body:
 * - LINES: a region of whole lines as a file held them; splitting it again (splitLines) gives
 *   the same `count` lines, because it starts at a line's start and ends where the chunk did;
 * - ENTRIES: `count` entries as records.ts writes them.
 */
const LINES = 1
const ENTRIES = 2
const HEAD_BYTES = 12
// An entries block is encoded whole before it is written; past this it is closed.
const ENTRIES_BLOCK_BYTES = 1024 * 1024
const OUTPUT_BATCH = 4096

export class KeysFileWriter {
  /** Keys written so far: the next one's ordinal. */
  count = 0
  private readonly writer: PartitionWriter
  private readonly head = Buffer.alloc(HEAD_BYTES)
  private scratch = Buffer.allocUnsafeSlow(ENTRIES_BLOCK_BYTES)

  constructor (dir: WorkDir, bufferBytes: number, name = 'candidate-keys') {
    this.writer = new PartitionWriter(dir, name, 1, bufferBytes)
  }

  get path (): string {
    return this.writer.path
  }

  get written (): number {
    return this.writer.written
  }

  /** Appends `count` lines: a region that starts at a line's start and ends where its chunk ends. */
  lines (region: Uint8Array, count: number): void {
    this.block(LINES, count, region)
  }

  /** Counts `count` candidates whose keys are kept elsewhere (the candidates' own files). */
  skip (count: number): void {
    this.count += count
  }

  /** Appends entries `from`, `from + 1`, ... of a batch. */
  entries (batch: KeyBatch, from: number): void {
    let at = 0
    let first = from
    for (let i = from; i < batch.length; i++) {
      const entry = batch[i] as KeyEntry
      const bound = entryBound(entry)
      if (at > 0 && at + bound > ENTRIES_BLOCK_BYTES) {
        this.block(ENTRIES, i - first, this.scratch.subarray(0, at))
        at = 0
        first = i
      }
      if (bound > this.scratch.length) this.scratch = Buffer.allocUnsafeSlow(bound)
      at = writeEntry(this.scratch, at, entry)
    }
    if (batch.length > first) this.block(ENTRIES, batch.length - first, this.scratch.subarray(0, at))
  }

  /** Flushes and closes the file, which stays for `readOrphans`. */
  close (): void {
    this.writer.close()
  }

  /** Closes the file without flushing (on failure). */
  release (): void {
    this.writer.release()
  }

  private block (kind: number, count: number, body: Uint8Array): void {
    this.head.writeUInt32LE(kind, 0)
    this.head.writeUInt32LE(count, 4)
    this.head.writeUInt32LE(body.length, 8)
    this.writer.append(0, this.head)
    this.writer.append(0, body)
    this.count += count
  }
}

/**
 * The orphans among the spilled candidates, read back from the keys file in their order (or,
 * of `kind` missing, the missing references from theirs); the file is deleted once read.
 * Blocks with no orphan in them are skipped unread, and reading stops after the last orphan.
 */
export function * readOrphans (reader: ChunkReader, path: string, marks: OrphanMarks, kind: DiffPart['kind'] = 'orphans'): Generator<DiffPart> {
  reader.open(path)
  let out: KeyEntry[] = []
  let ordinal = 0
  try {
    let next = marks.next(0)
    while (next >= 0) {
      if (!reader.ensure(HEAD_BYTES)) throw truncatedSpillFile(path)
      const blockKind = reader.buffer.readUInt32LE(reader.pos)
      const count = reader.buffer.readUInt32LE(reader.pos + 4)
      const length = reader.buffer.readUInt32LE(reader.pos + 8)
      reader.pos += HEAD_BYTES
      if (next >= ordinal + count) {
        reader.skip(length)
        ordinal += count
        continue
      }
      if (!reader.ensure(length)) throw truncatedSpillFile(path)
      const body = reader.buffer.subarray(reader.pos, reader.pos + length)
      if (blockKind === LINES) {
        const chunk = splitLines(body)
        if (chunk.length !== count) throw new KeydiffError(`spill file ${path} holds ${chunk.length} lines where ${count} were written`, 'KEYDIFF_SPILL_FAILED')
        while (next >= 0 && next < ordinal + count) {
          out.push({ key: lineText(chunk, next - ordinal) })
          next = marks.next(next + 1)
        }
      } else if (blockKind === ENTRIES) {
        let at = 0
        for (let i = 0; i < count && next >= 0; i++) {
          if (ordinal + i === next) {
            out.push(readEntry(body, at))
            next = marks.next(next + 1)
          }
          at += entryLength(body, at)
        }
      } else {
        throw new KeydiffError(`spill file ${path} holds a block of unknown kind ${blockKind}`, 'KEYDIFF_SPILL_FAILED')
      }
      reader.pos += length
      ordinal += count
      if (out.length >= OUTPUT_BATCH) {
        yield { kind, entries: out }
        out = []
      }
    }
    if (out.length > 0) yield { kind, entries: out }
  } finally {
    reader.discard()
  }
}
