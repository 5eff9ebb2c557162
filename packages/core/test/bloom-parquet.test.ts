import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance } from '@duckdb/node-api'
import { SplitBlockBloomFilter } from '../src/index.ts'

// The cross-implementation proof: DuckDB writes a Parquet file whose string column carries a
// split-block Bloom filter; the filter that keydiff builds from the same strings must have
// the same bytes, and must reject strings that are not in the column as the spec says.

type Thrift = Map<number, unknown>

/** A reader of the Thrift compact protocol, enough for the Parquet footer. */
class CompactReader {
  at: number
  constructor (readonly bytes: Uint8Array, at = 0) { this.at = at }

  varint (): bigint {
    let result = 0n
    let shift = 0n
    for (;;) {
      const byte = this.bytes[this.at++] as number
      result |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return result
      shift += 7n
    }
  }

  zigzag (): bigint {
    const n = this.varint()
    return (n >> 1n) ^ -(n & 1n)
  }

  value (type: number): unknown {
    switch (type) {
      case 1: return true
      case 2: return false
      case 3: return this.bytes[this.at++]
      case 4: case 5: case 6: return this.zigzag()
      case 7: this.at += 8; return undefined
      case 8: {
        const length = Number(this.varint())
        const out = this.bytes.subarray(this.at, this.at + length)
        this.at += length
        return out
      }
      case 9: case 10: {
        const header = this.bytes[this.at++] as number
        let size = header >> 4
        if (size === 15) size = Number(this.varint())
        const element = header & 0x0f
        const list: unknown[] = []
        for (let i = 0; i < size; i++) list.push(element === 1 || element === 2 ? this.bytes[this.at++] === 1 : this.value(element))
        return list
      }
      case 11: {
        const size = Number(this.varint())
        if (size === 0) return new Map()
        const types = this.bytes[this.at++] as number
        const map = new Map<unknown, unknown>()
        for (let i = 0; i < size; i++) map.set(this.value(types >> 4), this.value(types & 0x0f))
        return map
      }
      case 12: return this.struct()
      default: throw new Error(`unknown compact type ${type} at byte ${this.at}`)
    }
  }

  struct (): Thrift {
    const fields: Thrift = new Map()
    let id = 0
    for (;;) {
      const header = this.bytes[this.at++] as number
      if (header === 0) return fields
      const delta = header >> 4
      id = delta === 0 ? Number(this.zigzag()) : id + delta
      fields.set(id, this.value(header & 0x0f))
    }
  }
}

interface ParquetBloom { header: Thrift, bitset: Uint8Array }

/** The Bloom filter of the first column of the first row group of a Parquet file. */
function bloomOfFirstColumn (file: Uint8Array): ParquetBloom {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength)
  assert.equal(new TextDecoder().decode(file.subarray(file.length - 4)), 'PAR1')
  const footerLength = view.getUint32(file.length - 8, true)
  const meta = new CompactReader(file, file.length - 8 - footerLength).struct()
  const rowGroup = (meta.get(4) as Thrift[])[0] as Thrift
  const column = ((rowGroup.get(1) as Thrift[])[0] as Thrift).get(3) as Thrift
  const offset = column.get(14)
  assert.equal(typeof offset, 'bigint', 'the column chunk has a bloom_filter_offset')
  const reader = new CompactReader(file, Number(offset))
  const header = reader.struct()
  const numBytes = Number(header.get(1))
  return { header, bitset: file.subarray(reader.at, reader.at + numBytes) }
}

let dir = ''
let instance: DuckDBInstance
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keydiff-parquet-'))
  instance = await DuckDBInstance.create(':memory:')
})
after(async () => {
  instance.closeSync()
  await rm(dir, { recursive: true, force: true })
})

const distinct = 3000
// Shapes that matter: S3-like keys, non-ASCII, emoji (4-byte UTF-8), long keys, the empty string.
const keyExpression = `CASE
  WHEN i % 1000 = 0 THEN ''
  WHEN i % 7 = 0 THEN 'ünïcödé/' || i::VARCHAR || '/😀'
  WHEN i % 11 = 0 THEN repeat('long/', 30) || i::VARCHAR
  ELSE 'blobs/' || lpad(to_hex(i % 256), 2, '0') || '/cd/' || md5(i::VARCHAR) || left(md5((i * 7)::VARCHAR), 8)
END`

async function writeParquet (path: string): Promise<string[]> {
  const connection = await instance.connect()
  try {
    // Every value repeated ten times, so DuckDB writes the column dictionary-encoded.
    await connection.run(`COPY (SELECT ${keyExpression} AS key FROM range(${distinct * 10}) t(j), (SELECT j % ${distinct} AS i)) TO '${path}' (FORMAT parquet)`)
    const reader = await connection.runAndReadAll(`SELECT DISTINCT ${keyExpression} AS key FROM range(${distinct}) t(i)`)
    return reader.getRowObjects().map((row) => row.key as string)
  } finally {
    connection.closeSync()
  }
}

test('DuckDB\'s Parquet Bloom filter and ours, from the same strings, have the same bytes', async () => {
  const path = join(dir, 'keys.parquet')
  const keys = await writeParquet(path)
  assert.ok(keys.length > 2900 && keys.includes('') && keys.some((key) => key.includes('😀')))
  const { header, bitset } = bloomOfFirstColumn(await readFile(path))
  // algorithm: BLOCK (field 1 of the union), hash: XXHASH, compression: UNCOMPRESSED.
  assert.deepEqual([...(header.get(2) as Thrift).keys()], [1])
  assert.deepEqual([...(header.get(3) as Thrift).keys()], [1])
  assert.deepEqual([...(header.get(4) as Thrift).keys()], [1])
  assert.ok(bitset.byteLength >= 32 && bitset.byteLength % 32 === 0)

  const ours = new SplitBlockBloomFilter(bitset.byteLength / 32)
  ours.addBatch(keys.map((key) => ({ key })))
  assert.ok(Buffer.from(ours.bitset).equals(Buffer.from(bitset)), 'the bitsets differ')
})

test('DuckDB\'s filter, read with our hashing, finds every string and rejects others at the predicted rate', async () => {
  const path = join(dir, 'keys.parquet')
  const keys = await writeParquet(path)
  const theirs = SplitBlockBloomFilter.fromParquetBitset(bloomOfFirstColumn(await readFile(path)).bitset)
  const present = new Uint8Array(keys.length)
  theirs.checkBatch(keys.map((key) => ({ key })), present)
  assert.ok(present.every((bit) => bit === 1))

  const probes = Array.from({ length: 100_000 }, (_, i) => ({ key: `absent/${i}` }))
  const out = new Uint8Array(probes.length)
  theirs.checkBatch(probes, out)
  const measured = out.reduce((sum, bit) => sum + bit, 0) / probes.length
  theirs.insertedCount = keys.length
  const predicted = theirs.estimatedFalsePositiveRate()
  assert.ok(measured > 0, 'some false positives are expected at this fill')
  assert.ok(Math.abs(measured / predicted - 1) < 0.35, `measured ${measured}, predicted ${predicted}`)
})
