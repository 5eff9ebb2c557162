import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { ChunkReader, PartitionWriter, readPart, type SpillPart } from '../src/spill/partition-files.ts'
import { OrphanLog } from '../src/spill/orphan-marks.ts'
import { PartitionDrain } from '../src/spill/partition-drain.ts'
import { WorkDir } from '../src/spill/work-dir.ts'

// Every partition of a spill lies in one file as extents. Reading a partition back must give
// exactly the bytes appended to it, in order, and a file that lost any of them must fail the
// read: a reference lost in a drain would make every candidate it names an orphan.
const work = mkdtempSync(join(tmpdir(), 'keydiff-partition-files-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

const appendArb = fc.array(fc.record({ p: fc.nat({ max: 3 }), length: fc.integer({ min: 1, max: 40 }), by: fc.constantFrom('append', 'reserve') }), { maxLength: 60 })

/** Writes the appends (bytes numbered by their order) and returns what each partition got. */
function written (writer: PartitionWriter, appends: Array<{ p: number, length: number, by: string }>): number[][] {
  const expected: number[][] = Array.from({ length: writer.partitions }, () => [])
  let n = 0
  for (const { p, length, by } of appends) {
    const bytes = Uint8Array.from({ length }, () => n++ & 255)
    if (by === 'append') {
      writer.append(p, bytes)
    } else {
      const buffer = writer.reserve(p, length)
      buffer.set(bytes, writer.positions[p] as number)
      writer.positions[p] = (writer.positions[p] as number) + length
    }
    ;(expected[p] as number[]).push(...bytes)
  }
  return expected
}

function readAll (reader: ChunkReader, part: SpillPart, step: number): number[] {
  reader.open(part)
  const bytes: number[] = []
  try {
    for (;;) {
      const want = Math.min(step, 1 + (bytes.length % step))
      if (!reader.ensure(want)) break
      bytes.push(...reader.buffer.subarray(reader.pos, reader.pos + want))
      reader.pos += want
    }
    bytes.push(...reader.buffer.subarray(reader.pos, reader.end))
  } finally {
    reader.discard()
  }
  return bytes
}

test('each partition reads back as the bytes appended to it, in order, through any buffer and read size', () => {
  fc.assert(fc.property(appendArb, fc.constantFrom(16, 32, 64), fc.integer({ min: 1, max: 24 }), fc.constantFrom(8, 64, 4096), (appends, bufferBytes, step, chunk) => {
    const dir = new WorkDir(work)
    try {
      const writer = new PartitionWriter(dir, 'parts', 4, bufferBytes)
      const expected = written(writer, appends)
      writer.close()
      const reader = new ChunkReader(chunk)
      for (let p = 0; p < 4; p++) {
        assert.deepEqual(readAll(reader, writer.part(p), step), expected[p])
        assert.deepEqual([...readPart(writer.part(p))], expected[p])
      }
    } finally {
      dir.remove()
    }
  }), { numRuns: 150 })
})

test('a partition whose extents the file no longer holds fails its read, naming the file; one wholly within still reads', () => {
  fc.assert(fc.property(appendArb.filter(appends => appends.length > 0), fc.double({ min: 0, max: 1, noNaN: true }), (appends, keep) => {
    const dir = new WorkDir(work)
    try {
      const writer = new PartitionWriter(dir, 'parts', 4, 16)
      const expected = written(writer, appends)
      writer.close()
      const size = Math.floor(writer.written * keep)
      truncateSync(writer.path, size)
      const reader = new ChunkReader(64)
      for (let p = 0; p < 4; p++) {
        const part = writer.part(p)
        const whole = part.extents.every((value, i) => i % 2 === 1 || value + (part.extents[i + 1] as number) <= size)
        if (whole) {
          assert.deepEqual(readAll(reader, part, 7), expected[p])
        } else {
          assert.throws(() => readAll(reader, part, 7), new RegExp(`spill file ${writer.path} is truncated`))
          assert.throws(() => readPart(part), /is truncated/)
        }
      }
    } finally {
      dir.remove()
    }
  }), { numRuns: 150 })
})

test('a drain whose references lost records fails, rather than call their candidates orphans', () => {
  const dir = new WorkDir(work)
  try {
    const references = new PartitionWriter(dir, 'references', 1, 64)
    const candidates = new PartitionWriter(dir, 'candidates', 1, 64)
    for (let i = 1; i <= 8; i++) {
      references.append(0, new Uint8Array(new Uint32Array([i, i, i, (i << 2) | 1]).buffer))
      candidates.append(0, new Uint8Array(new Uint32Array([i, i, i, i << 2, i, 0]).buffer))
    }
    references.close()
    candidates.close()
    const drain = new PartitionDrain(64)
    const log = new OrphanLog(dir, 'orphans', 64)
    const files = { references: references.part(0), referenceCount: 8, numbered: false, candidates: candidates.part(0), budget: 1 << 20, index: 0 }
    // As a partition whose count says more than its extents hold.
    assert.throws(() => { drain.drain({ ...files, referenceCount: 9 }, log) }, /spill file .*references is truncated/)
    truncateSync(references.path, 16 * 7)
    assert.throws(() => { drain.drain(files, log) }, /spill file .*references is truncated/)
    log.release()
  } finally {
    dir.remove()
  }
})
