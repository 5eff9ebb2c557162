import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { xxh64 } from '../src/index.ts'
import { LineHasher } from '../src/engine/line-batch.ts'
import { splitLines } from '../src/engine/line-chunks.ts'
import { Fingerprinter } from '../src/spill/fingerprint.ts'

const encoder = new TextEncoder()

// The fingerprint's contract: XXH64 with seed 0, then with seed 0x9e3779b9, most significant word first.
function oracle (keys: string[]): Uint32Array {
  const out = new Uint32Array(keys.length * 4)
  keys.forEach((key, i) => {
    const bytes = encoder.encode(key)
    for (const [half, seed] of [[0, 0n], [2, 0x9e3779b9n]] as const) {
      const hash = xxh64(bytes, seed)
      out[4 * i + half] = Number(hash >> 32n)
      out[4 * i + half + 1] = Number(hash & 0xffffffffn)
    }
  })
  return out
}

function fingerprints (keys: string[]): Uint32Array {
  return new Fingerprinter().fingerprint(keys.map(key => ({ key }))).slice(0, 4 * keys.length)
}

function lineFingerprints (keys: string[]): Uint32Array {
  const chunk = splitLines(Buffer.from(keys.join('\n')))
  assert.equal(chunk.length, keys.length)
  return new LineHasher().hash(chunk).words.slice(0, 4 * keys.length)
}

const anyKey = fc.oneof(fc.string({ unit: 'binary', maxLength: 80 }), fc.string({ maxLength: 120 }))
// A line is a key when it is not empty and holds no line end.
const lineKey = anyKey.map(key => key.replace(/[\r\n]/g, '')).filter(key => key.length > 0)

test('fingerprints are both XXH64 halves at every length around the 4-, 8- and 32-byte steps', () => {
  const keys = Array.from({ length: 80 }, (_, n) => 'k'.repeat(n))
  assert.deepEqual(fingerprints(keys), oracle(keys))
  assert.deepEqual(lineFingerprints(keys.slice(1)), oracle(keys.slice(1)))
})

test('fingerprints of keys as strings and as lines of bytes equal the XXH64 oracle', () => {
  fc.assert(fc.property(fc.array(lineKey, { maxLength: 60 }), (keys) => {
    const expected = oracle(keys)
    assert.deepEqual(fingerprints(keys), expected)
    assert.deepEqual(lineFingerprints(keys), expected)
  }), { numRuns: 300 })
})

test('fingerprints span kernel calls: more keys than one call packs', () => {
  const keys = Array.from({ length: 9000 }, (_, i) => `objects/${i % 97}/${'x'.repeat(i % 70)}${i}`)
  const expected = oracle(keys)
  assert.deepEqual(fingerprints(keys), expected)
  assert.deepEqual(lineFingerprints(keys), expected)
})
