import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { SplitBlockBloomFilter, bitsPerKeyFor, blocksFor, hashBatch, predictedFalsePositiveRate, xxh64 } from '../src/index.ts'
import { Fingerprinter } from '../src/spill/fingerprint.ts'
import { FilterChecker } from '../src/bloom/filter-checker.ts'
import { FilterAdder } from '../src/bloom/filter-adder.ts'
import { pickRejected } from '../src/bloom/pick-rejected.ts'

const encoder = new TextEncoder()
const entries = (keys: string[]): Array<{ key: string }> => keys.map((key) => ({ key }))

function split<T> (items: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((cut) => cut % (items.length + 1)))].sort((a, b) => a - b)
  const parts: T[][] = []
  let from = 0
  for (const point of [...points, items.length]) {
    parts.push(items.slice(from, point))
    from = point
  }
  return parts
}

test('no false negatives for any keys and any batch split', () => {
  fc.assert(fc.property(
    fc.array(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 70 })), { maxLength: 200 }),
    fc.array(fc.nat(), { maxLength: 6 }),
    fc.integer({ min: 1, max: 40 }),
    (keys, cuts, blocks) => {
      const filter = new SplitBlockBloomFilter(blocks)
      for (const part of split(entries(keys), cuts)) filter.addBatch(part)
      for (const part of split(entries(keys), cuts.map((cut) => cut * 7 + 3))) {
        const out = new Uint8Array(part.length)
        filter.checkBatch(part, out)
        assert.ok(out.every((bit) => bit === 1))
      }
      for (const key of keys) assert.ok(filter.has(key))
      assert.equal(filter.insertedCount, keys.length)
    }
  ), { numRuns: 200 })
})

test('the WebAssembly bits are the bits of the spec, set from the BigInt XXH64 oracle in JS', () => {
  fc.assert(fc.property(
    fc.array(fc.string({ unit: 'binary', maxLength: 60 }), { maxLength: 300 }),
    fc.integer({ min: 1, max: 5000 }),
    (keys, blocks) => {
      const fast = new SplitBlockBloomFilter(blocks)
      fast.addBatch(entries(keys))
      const reference = new SplitBlockBloomFilter(blocks)
      for (const key of keys) {
        const hash = xxh64(encoder.encode(key))
        reference.insertHash(Number(hash >> 32n), Number(hash & 0xffffffffn))
      }
      assert.deepEqual(fast.words, reference.words)
    }
  ), { numRuns: 100 })
})

test('checkBatch answers as the spec check does, for present and absent keys', () => {
  const filter = new SplitBlockBloomFilter(16)
  filter.addBatch(entries(Array.from({ length: 300 }, (_, i) => `in/${i}`)))
  const probes = Array.from({ length: 5000 }, (_, i) => `probe/${i}`)
  const out = new Uint8Array(probes.length)
  filter.checkBatch(entries(probes), out)
  let maybe = 0
  probes.forEach((key, i) => {
    const hash = xxh64(encoder.encode(key))
    assert.equal(out[i] === 1, filter.checkHash(Number(hash >> 32n), Number(hash & 0xffffffffn)), key)
    maybe += out[i] as number
  })
  // A filter this full says "maybe" often, but not always: both answers were exercised.
  assert.ok(maybe > 0 && maybe < probes.length)
})

test('the block index uses all 32 upper bits, even where high × blocks passes 2^53', () => {
  const blocks = 3_000_001
  const filter = new SplitBlockBloomFilter(blocks)
  filter.insertHash(0xffffffff, 1)
  const word = Math.floor(0xffffffff * blocks / 2 ** 32) * 8
  assert.notEqual(filter.words[word], 0)
  assert.ok(filter.checkHash(0xffffffff, 1))
})

test('a very long key grows the memory and the filter keeps its bits', () => {
  const filter = new SplitBlockBloomFilter(64)
  filter.addBatch(entries(['a', 'b']))
  const before = [...filter.words]
  filter.add('ü'.repeat(1_000_000))
  assert.ok(filter.has('a') && filter.has('b') && filter.has('ü'.repeat(1_000_000)))
  assert.ok(before.every((word, i) => (((filter.words[i] as number) & word) >>> 0) === word))
})

test('create sizes from the count and rate, from the byte budget alone, and caps by it', () => {
  const sized = SplitBlockBloomFilter.create({ expectedCount: 1_000_000 })
  assert.equal(sized.blocks, blocksFor(1_000_000, 0.01))
  const bits = sized.byteLength * 8 / 1_000_000
  assert.ok(bits > 10 && bits < 11, `1% needs about 10.5 bits per key, got ${bits}`)
  assert.ok(predictedFalsePositiveRate(1_000_000, sized.blocks) <= 0.01)
  assert.equal(SplitBlockBloomFilter.create({ maxBytes: 1000 }).byteLength, 992)
  assert.equal(SplitBlockBloomFilter.create({ expectedCount: 1_000_000, maxBytes: 64 * 1024 }).byteLength, 64 * 1024)
  assert.equal(SplitBlockBloomFilter.create({ expectedCount: 0 }).blocks, 1)
  assert.throws(() => SplitBlockBloomFilter.create({}), TypeError)
  assert.throws(() => SplitBlockBloomFilter.create({ expectedCount: 10, falsePositiveRate: 1 }), RangeError)
})

test('the blocked prediction needs about 10.5 bits per key for 1% and 17 for 0.1%', () => {
  assert.ok(Math.abs(bitsPerKeyFor(0.01) - 10.5) < 0.3, String(bitsPerKeyFor(0.01)))
  assert.ok(Math.abs(bitsPerKeyFor(0.001) - 17) < 0.5, String(bitsPerKeyFor(0.001)))
})

test('the measured false-positive rate is near the prediction, which the stats report', () => {
  const count = 40_000
  const filter = SplitBlockBloomFilter.create({ expectedCount: count, falsePositiveRate: 0.02 })
  filter.addBatch(entries(Array.from({ length: count }, (_, i) => `blobs/${i.toString(16).padStart(40, '0')}`)))
  const predicted = filter.estimatedFalsePositiveRate()
  const probes = entries(Array.from({ length: 200_000 }, (_, i) => `absent/${i}`))
  const out = new Uint8Array(probes.length)
  filter.checkBatch(probes, out)
  const measured = out.reduce((sum, bit) => sum + bit, 0) / probes.length
  // ~4,000 expected false positives: the sampling error is under 5%, this allows 20%.
  assert.ok(Math.abs(measured / predicted - 1) < 0.2, `measured ${measured}, predicted ${predicted}`)
  assert.ok(predicted <= 0.02 && predicted > 0.015)
})

test('lines added from their bytes set exactly the bits of the lines, not of the line ends between them', () => {
  const lineArb = fc.string({ unit: fc.constantFrom('a', 'b', '/', 'é', '€', '😀', ' '), minLength: 1, maxLength: 30 })
  fc.assert(fc.property(fc.array(fc.tuple(lineArb, fc.constantFrom('\n', '\r\n', '\n\n')), { maxLength: 5000 }), fc.integer({ min: 1, max: 64 }), (lines, blocks) => {
    const text = lines.map(([line, end]) => line + end).join('')
    const bytes = Buffer.from(text)
    const starts = new Uint32Array(lines.length)
    const ends = new Uint32Array(lines.length)
    let at = 0
    lines.forEach(([line, end], i) => {
      starts[i] = at
      ends[i] = at + Buffer.byteLength(line)
      at = ends[i] + end.length
    })
    const chunk = { bytes, starts, ends, length: lines.length }
    const fromBytes = new SplitBlockBloomFilter(blocks)
    fromBytes.addLines(chunk)
    const fromStrings = new SplitBlockBloomFilter(blocks)
    fromStrings.addBatch(entries(lines.map(([line]) => line)))
    assert.deepEqual(fromBytes.bitset, fromStrings.bitset)
    assert.equal(fromBytes.insertedCount, lines.length)
    const out = new Uint8Array(lines.length)
    const probe = new SplitBlockBloomFilter(blocks)
    probe.addBatch(entries(lines.filter((_, i) => i % 2 === 0).map(([line]) => line)))
    probe.checkLines(chunk, out)
    const expected = new Uint8Array(lines.length)
    probe.checkBatch(entries(lines.map(([line]) => line)), expected)
    assert.deepEqual(out, expected)
  }), { numRuns: 100 })
})

test('keys added and checked by their hashes (stride 2) or fingerprints (stride 4) set and read the bits their bytes do', () => {
  const keyArb = fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { maxLength: 9000 })
  fc.assert(fc.property(keyArb, keyArb, fc.integer({ min: 1, max: 300 }), (added, probed, blocks) => {
    const hashes = new Uint32Array(2 * added.length)
    hashBatch(entries(added), hashes)
    const fingerprints = new Fingerprinter().fingerprint(entries(added))
    const fromKeys = new SplitBlockBloomFilter(blocks)
    fromKeys.addBatch(entries(added))
    const fromHashes = new SplitBlockBloomFilter(blocks)
    fromHashes.addHashes(hashes, 2, added.length)
    const fromFingerprints = new SplitBlockBloomFilter(blocks)
    fromFingerprints.addHashes(fingerprints, 4, added.length)
    assert.deepEqual(fromHashes.bitset, fromKeys.bitset)
    assert.deepEqual(fromFingerprints.bitset, fromKeys.bitset)
    assert.equal(fromFingerprints.insertedCount, added.length)

    const probes = [...probed, ...added.slice(0, 50)]
    const expected = new Uint8Array(probes.length)
    fromKeys.checkBatch(entries(probes), expected)
    const probeHashes = new Uint32Array(4 * probes.length)
    probeHashes.set(new Fingerprinter().fingerprint(entries(probes)).subarray(0, 4 * probes.length))
    const out = new Uint8Array(probes.length)
    fromKeys.checkHashes(probeHashes, 4, probes.length, out)
    assert.deepEqual(out, expected)
  }), { numRuns: 60 })
})

test('a checker over the filter\'s shared memory answers as the filter does; the sealed filter takes no key until cleared', () => {
  const keyArb = fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 6000 })
  fc.assert(fc.property(keyArb, keyArb, fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 3 }), (added, probed, blocks, checkers) => {
    const filter = new SplitBlockBloomFilter(blocks, undefined, checkers)
    const plain = new SplitBlockBloomFilter(blocks)
    filter.addBatch(entries(added))
    plain.addBatch(entries(added))
    assert.deepEqual(filter.bitset, plain.bitset)
    const probes = [...probed, ...added.slice(0, 50)]
    const hashes = new Uint32Array(2 * probes.length)
    hashBatch(entries(probes), hashes)
    const expected = new Uint8Array(probes.length)
    plain.checkHashes(hashes, 2, probes.length, expected)
    for (let k = 0; k < checkers; k++) {
      const out = new Uint8Array(probes.length)
      new FilterChecker(filter.checkerRegion(k)).checkHashes(hashes, 2, probes.length, out)
      assert.deepEqual(out, expected)
    }
    assert.throws(() => filter.addBatch(entries(['x'])), /sealed/)
    assert.throws(() => filter.addHashes(hashes, 2, probes.length), /sealed/)
    filter.clear()
    filter.addBatch(entries(['x']))
  }), { numRuns: 60 })
})

test('adders over the filter\'s shared memory set the bits the filter would; it counts their keys once all have finished', () => {
  const keyArb = fc.array(fc.string({ unit: 'binary', maxLength: 30 }), { maxLength: 3000 })
  fc.assert(fc.property(fc.array(keyArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 300 }), (shares, blocks) => {
    const filter = new SplitBlockBloomFilter(blocks, undefined, shares.length)
    const plain = new SplitBlockBloomFilter(blocks)
    const adders = shares.map((_, k) => new FilterAdder(filter.adderRegion(k)))
    shares.forEach((keys, k) => {
      const hashes = new Uint32Array(2 * keys.length)
      hashBatch(entries(keys), hashes)
      adders[k]?.addHashes(hashes, 2, keys.length)
      plain.addBatch(entries(keys))
    })
    const count = shares.reduce((sum, keys) => sum + keys.length, 0)
    adders.slice(1).forEach(adder => adder.finish())
    assert.throws(() => filter.tookAdds(count, shares.length), new RegExp(`${shares.length - 1} of the filter's ${shares.length} adders have finished`))
    adders[0]?.finish()
    filter.tookAdds(count, shares.length)
    assert.deepEqual(filter.bitset, plain.bitset)
    assert.equal(filter.insertedCount, count)
    assert.throws(() => adders[0]?.addHashes(new Uint32Array(2), 2, 1), /has finished/)
  }), { numRuns: 60 })
})

test('an adder refuses a sealed filter; a filter cleared takes adders again, counted afresh', () => {
  const filter = new SplitBlockBloomFilter(4, undefined, 2)
  const region = filter.adderRegion(0)
  filter.checkerRegion(0)
  assert.throws(() => new FilterAdder(region), /sealed/)
  assert.throws(() => filter.adderRegion(1), /sealed/)
  assert.throws(() => filter.adderRegion(2), /has 2 adders' rooms, not a room 2/)
  filter.clear()
  const adder = new FilterAdder(filter.adderRegion(1))
  adder.finish()
  assert.throws(() => filter.tookAdds(0, 2), /1 of the filter's 2 adders have finished/)
  filter.clear()
  assert.throws(() => filter.tookAdds(0, 1), /0 of the filter's 1 adders have finished/)
})

test('a checker refuses a filter not sealed, and a room the filter does not have', () => {
  const filter = new SplitBlockBloomFilter(4, undefined, 1)
  const region = filter.checkerRegion(0)
  filter.clear()
  assert.throws(() => new FilterChecker(region), /not sealed/)
  assert.throws(() => filter.checkerRegion(1), /has 1 checkers' rooms, not a room 1/)
  assert.throws(() => new SplitBlockBloomFilter(4).checkerRegion(0), /has 0 checkers' rooms/)
})

test('the rejected keys picked from a check\'s answers are those answered 0, in order', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom(0, 1)), fc.nat({ max: 5 }), (answers, spare) => {
    const picked = new Uint32Array(answers.length + spare).fill(7)
    const count = pickRejected(Uint8Array.from(answers), answers.length, picked)
    const expected = answers.flatMap((answer, i) => answer === 0 ? [i] : [])
    assert.deepEqual([...picked.subarray(0, count)], expected)
  }))
})
