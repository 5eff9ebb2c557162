import { readFileSync, unlinkSync } from 'node:fs'
import { KeydiffError } from '../errors.ts'
import type { KeyEntry } from '../keys/key-entry.ts'
import type { DiffPart } from '../engine/diff-types.ts'
import { formatBytes } from '../util/size.ts'
import { ChunkReader } from './partition-files.ts'
import { EMITTED, FingerprintTable, MATCHED, REFERENCE } from './fingerprint-table.ts'
import { CANDIDATE_HEAD, FINGERPRINT_BYTES, candidateLength, readCandidate, readKey } from './records.ts'

const OUTPUT_BATCH = 4096
const READ_CHUNK = 4 * 1024 * 1024

export interface PartitionFiles {
  references: string
  referenceCount: number
  candidates: string | undefined
  withKeys: boolean
  /** The bytes the partition's table and reference file may take together. */
  budget: number
  index: number
}

/**
 * Settles one partition: its references (and the orphans already reported) go into a
 * fingerprint table, then its candidates stream past it. A candidate that no reference
 * matches and that was not reported before is an orphan; references no candidate matched
 * are the missing keys. Both files are deleted once read.
 */
export function * drainPartition (files: PartitionFiles, wantMissing: boolean): Generator<DiffPart> {
  const refs = readFileSync(files.references)
  unlinkSync(files.references)
  const recordBytes = FINGERPRINT_BYTES + 1
  const table = new FingerprintTable(files.referenceCount, files.withKeys)
  const guard = (): void => {
    if (refs.length + table.grownByteLength > files.budget) {
      throw new KeydiffError(`spill partition ${files.index} needs more than its ${formatBytes(files.budget)} share of the memory budget (${table.size} keys); raise memory or partitions`, 'KEYDIFF_MEMORY_EXCEEDED')
    }
  }
  for (let at = 0; at < refs.length;) {
    const a = refs.readUInt32LE(at)
    const b = refs.readUInt32LE(at + 4)
    const c = refs.readUInt32LE(at + 8)
    const d = refs.readUInt32LE(at + 12)
    const state = refs[at + FINGERPRINT_BYTES] as number
    const keyAt = at + recordBytes
    at = files.withKeys && state !== EMITTED ? keyAt + 4 + refs.readUInt32LE(keyAt) : keyAt
    if (table.full) guard()
    const slot = table.insert(a, b, c, d, state, keyAt)
    if (state === MATCHED) table.setState(slot, MATCHED)
  }

  if (files.candidates !== undefined) {
    const reader = new ChunkReader(files.candidates, READ_CHUNK)
    try {
      let out: KeyEntry[] = []
      while (reader.ensure(CANDIDATE_HEAD)) {
        let length = candidateLength(reader.buffer, reader.pos, reader.end - reader.pos)
        if (length < 0) {
          reader.ensure(-1 - length)
          length = candidateLength(reader.buffer, reader.pos, reader.end - reader.pos)
        }
        if (!reader.ensure(length)) throw new KeydiffError(`spill file ${files.candidates} is truncated`, 'KEYDIFF_SOURCE_FAILED')
        const buffer = reader.buffer
        const at = reader.pos
        const a = buffer.readUInt32LE(at)
        const b = buffer.readUInt32LE(at + 4)
        const c = buffer.readUInt32LE(at + 8)
        const d = buffer.readUInt32LE(at + 12)
        const slot = table.find(a, b, c, d)
        if (slot >= 0) {
          if (table.state(slot) === REFERENCE) table.setState(slot, MATCHED)
        } else {
          if (table.full) guard()
          table.insert(a, b, c, d, EMITTED, 0)
          out.push(readCandidate(buffer, at))
          if (out.length >= OUTPUT_BATCH) {
            yield { kind: 'orphans', entries: out }
            out = []
          }
        }
        reader.pos += length
      }
      if (out.length > 0) yield { kind: 'orphans', entries: out }
    } finally {
      reader.discard()
    }
  }

  if (wantMissing) yield * missingOf(table, refs)
}

/** The references of a table that no candidate matched; payloads point at their keys in `keys`. */
export function * missingOf (table: FingerprintTable, keys: Buffer): Generator<DiffPart> {
  let out: KeyEntry[] = []
  for (let slot = 0; slot < table.capacity; slot++) {
    if (table.state(slot) !== REFERENCE) continue
    out.push({ key: readKey(keys, table.payloads[slot] as number) })
    if (out.length >= OUTPUT_BATCH) {
      yield { kind: 'missing', entries: out }
      out = []
    }
  }
  if (out.length > 0) yield { kind: 'missing', entries: out }
}
