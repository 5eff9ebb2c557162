import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { FilterFormatError, KeydiffError, SplitBlockBloomFilter } from '../src/index.ts'

const entries = (keys: string[]): Array<{ key: string }> => keys.map((key) => ({ key }))
const answers = (filter: SplitBlockBloomFilter, keys: string[]): Uint8Array => {
  const out = new Uint8Array(keys.length)
  filter.checkBatch(entries(keys), out)
  return out
}
const probes = Array.from({ length: 2000 }, (_, i) => `probe/${i}`)

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-bloom-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

function codeOf (fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    assert.ok(error instanceof KeydiffError, String(error))
    return error.code
  }
  assert.fail('expected an error')
}

test('serialise → load gives the same bits, count and answers', () => {
  fc.assert(fc.property(fc.array(fc.string({ maxLength: 30 }), { maxLength: 100 }), fc.integer({ min: 1, max: 50 }), (keys, blocks) => {
    const filter = new SplitBlockBloomFilter(blocks)
    filter.addBatch(entries(keys))
    const loaded = SplitBlockBloomFilter.fromBytes(filter.toBytes())
    assert.equal(loaded.blocks, blocks)
    assert.equal(loaded.insertedCount, keys.length)
    assert.deepEqual(loaded.words, filter.words)
    assert.deepEqual(answers(loaded, [...keys, ...probes]), answers(filter, [...keys, ...probes]))
  }), { numRuns: 100 })
})

test('the body after the 32-byte header is the Parquet bitset, unchanged', () => {
  const filter = new SplitBlockBloomFilter(4)
  filter.addBatch(entries(['a', 'b', 'c']))
  const bytes = filter.toBytes()
  assert.equal(bytes.byteLength, 32 + 4 * 32)
  assert.deepEqual(bytes.subarray(32), filter.bitset)
  assert.deepEqual(SplitBlockBloomFilter.fromParquetBitset(bytes.subarray(32)).words, filter.words)
})

test('union contains both inputs and is the bitwise OR', () => {
  fc.assert(fc.property(fc.array(fc.string(), { maxLength: 80 }), fc.array(fc.string(), { maxLength: 80 }), (left, right) => {
    const a = new SplitBlockBloomFilter(8)
    const b = new SplitBlockBloomFilter(8)
    a.addBatch(entries(left))
    b.addBatch(entries(right))
    const before = [...a.words]
    a.union(b)
    assert.ok(answers(a, [...left, ...right]).every((bit) => bit === 1))
    a.words.forEach((word, i) => { assert.equal(word, ((before[i] as number) | (b.words[i] as number)) >>> 0) })
    assert.equal(a.insertedCount, left.length + right.length)
  }), { numRuns: 100 })
})

test('union refuses a filter of another shape', () => {
  assert.equal(codeOf(() => new SplitBlockBloomFilter(8).union(new SplitBlockBloomFilter(16))), 'KEYDIFF_FILTER_SHAPE')
})

function reheader (bytes: Uint8Array, edit: (view: DataView) => void): Uint8Array {
  const copy = bytes.slice()
  const view = new DataView(copy.buffer)
  edit(view)
  view.setUint32(28, crc32(copy.subarray(0, 28)), true)
  return copy
}

test('bytes of another version, algorithm, hash or size are refused with a clear code', () => {
  const filter = new SplitBlockBloomFilter(4)
  filter.addBatch(entries(['x', 'y']))
  const bytes = filter.toBytes()
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(reheader(bytes, (v) => { v.setUint16(4, 2, true) }))), 'KEYDIFF_FILTER_FORMAT')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(reheader(bytes, (v) => { v.setUint8(6, 2) }))), 'KEYDIFF_FILTER_SHAPE')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(reheader(bytes, (v) => { v.setUint8(7, 9) }))), 'KEYDIFF_FILTER_SHAPE')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(reheader(bytes, (v) => { v.setUint32(8, 5, true) }))), 'KEYDIFF_FILTER_FORMAT')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromParquetBitset(new Uint8Array(40))), 'KEYDIFF_FILTER_SHAPE')
})

test('foreign, cut-short and corrupted bytes are refused', () => {
  const filter = new SplitBlockBloomFilter(4)
  filter.addBatch(entries(['x', 'y']))
  const bytes = filter.toBytes()
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(new TextEncoder().encode('PAR1 not a filter at all, clearly not'))), 'KEYDIFF_FILTER_FORMAT')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(bytes.subarray(0, 20))), 'KEYDIFF_FILTER_FORMAT')
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(bytes.subarray(0, bytes.length - 32))), 'KEYDIFF_FILTER_FORMAT')
  const flipped = bytes.slice()
  flipped[100] = (flipped[100] as number) ^ 1
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(flipped)), 'KEYDIFF_FILTER_FORMAT')
  const header = bytes.slice()
  header[9] = (header[9] as number) ^ 1
  assert.equal(codeOf(() => SplitBlockBloomFilter.fromBytes(header)), 'KEYDIFF_FILTER_FORMAT')
})

test('save and load through a file; a damaged or missing file is refused and named', async () => {
  const filter = SplitBlockBloomFilter.create({ expectedCount: 5000 })
  const keys = Array.from({ length: 5000 }, (_, i) => `k/${i}`)
  filter.addBatch(entries(keys))
  const path = join(dir, 'refs.kdbf')
  await filter.save(path)
  const bytes = await readFile(path)
  assert.deepEqual(new Uint8Array(bytes), filter.toBytes(), 'the file is toBytes(), written without it')
  const loaded = await SplitBlockBloomFilter.load(path)
  assert.deepEqual(loaded.words, filter.words)
  assert.equal(loaded.insertedCount, 5000)
  assert.ok(answers(loaded, keys).every((bit) => bit === 1))

  const flipped = Buffer.from(bytes)
  flipped[bytes.length - 5] = (flipped[bytes.length - 5] as number) ^ 1
  await writeFile(path, flipped)
  await assert.rejects(SplitBlockBloomFilter.load(path), (error: unknown) => error instanceof FilterFormatError && error.message.includes('bitset checksum') && error.message.includes(path))
  await writeFile(path, bytes.subarray(0, bytes.length - 1))
  await assert.rejects(SplitBlockBloomFilter.load(path), (error: unknown) => error instanceof FilterFormatError && error.code === 'KEYDIFF_FILTER_FORMAT' && error.message.includes(path))
  const missing = join(dir, 'nope.kdbf')
  await assert.rejects(SplitBlockBloomFilter.load(missing), (error: unknown) => error instanceof FilterFormatError && error.message.includes(missing))
})
