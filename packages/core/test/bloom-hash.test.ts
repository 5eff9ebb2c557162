import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { hashBatch, xxh64 } from '../src/index.ts'

const encoder = new TextEncoder()

function oracle (keys: string[], seed: number): Uint32Array {
  const out = new Uint32Array(keys.length * 2)
  keys.forEach((key, i) => {
    const hash = xxh64(encoder.encode(key), BigInt(seed))
    out[2 * i] = Number(hash >> 32n)
    out[2 * i + 1] = Number(hash & 0xffffffffn)
  })
  return out
}

function hashed (keys: string[], seed?: number): Uint32Array {
  const out = new Uint32Array(keys.length * 2)
  hashBatch(keys.map((key) => ({ key })), out, seed)
  return out
}

test('the BigInt oracle gives the published XXH64 values', () => {
  // From the xxHash reference implementation's sanity checks.
  assert.equal(xxh64(encoder.encode('')), 0xef46db3751d8e999n)
  assert.equal(xxh64(encoder.encode('a')), 0xd24ec4f1a98c6e5bn)
  assert.equal(xxh64(encoder.encode('abc')), 0x44bc2cf5ad770999n)
  assert.equal(xxh64(encoder.encode('Nobody inspects the spammish repetition')), 0xfbcea83c8a378bf1n)
})

test('hashBatch agrees with the oracle at every length around the 4-, 8- and 32-byte steps', () => {
  const keys = Array.from({ length: 80 }, (_, n) => 'k'.repeat(n))
  assert.deepEqual(hashed(keys), oracle(keys, 0))
})

test('hashBatch agrees with the oracle for any keys and seeds (unicode, lone surrogates, empty)', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 120 })), { maxLength: 60 }),
    fc.integer({ min: 0, max: 0xffffffff }),
    (keys, seed) => {
      assert.deepEqual(hashed(keys, seed), oracle(keys, seed))
    }
  ), { numRuns: 300 })
})

test('hashBatch handles batches of many chunks and keys longer than the packing area', () => {
  const keys = Array.from({ length: 9000 }, (_, i) => `blobs/${i % 97}/${i.toString(16).padStart(40, '0')}`)
  keys[4095] = 'é'.repeat(700_000)
  keys[4096] = '😀'.repeat(10)
  keys[8999] = 'x'.repeat(2_000_000)
  assert.deepEqual(hashed(keys, 7), oracle(keys, 7))
  // The arena grew; short keys after that still hash right.
  assert.deepEqual(hashed(['a', 'bc']), oracle(['a', 'bc'], 0))
})

test('hashBatch writes nothing past two words per key and refuses a short output', () => {
  const out = new Uint32Array(8).fill(0xdeadbeef)
  hashBatch([{ key: 'a' }, { key: 'b' }], out)
  assert.deepEqual([...out.subarray(4)], [0xdeadbeef, 0xdeadbeef, 0xdeadbeef, 0xdeadbeef])
  assert.throws(() => { hashBatch([{ key: 'a' }, { key: 'b' }], new Uint32Array(3)) }, RangeError)
})
