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

test('non-ASCII keys at every place among ASCII ones, and surrogate halves in neighbouring keys, hash as the oracle', () => {
  const ascii = Array.from({ length: 13 }, (_, i) => `blobs/${i}/${'f'.repeat(i * 5)}`)
  const odd = ['é', '\uD83D', '\uDE00', 'ÿ', 'Ł', '😀', '\u0080', '']
  for (const key of odd) {
    for (let place = 0; place < 9; place++) {
      const keys = [...ascii.slice(0, place), key, ...ascii.slice(place)]
      assert.deepEqual(hashed(keys), oracle(keys, 0), `${JSON.stringify(key)} at ${place}`)
    }
  }
  // A high surrogate ending one key and a low one starting the next are two lone halves, not a pair.
  const halves = ['a\uD83D', '\uDE00b', 'c', 'd', 'e\uD83D', '\uDE00']
  assert.deepEqual(hashed(halves), oracle(halves, 0))
})

test('any mix of ASCII and other keys, in any batch length, hashes as the oracle', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.string({ unit: fc.constantFrom('a', '/', '0', '~'), maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 6 })), { maxLength: 40 }),
    (keys) => {
      assert.deepEqual(hashed(keys), oracle(keys, 0))
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
