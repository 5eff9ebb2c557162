import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { findFingerprint, sortDistinct } from '../src/reference-index/fingerprint-sort.ts'
import { addToRun, decodeRun, encodeRun, freshRun, removeFromRun, setAt, type Run } from '../src/reference-index/index-run.ts'

// Few distinct word values, so that fingerprints repeat and tie in their upper words.
const wordArb = fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff)
const fingerprintArb = fc.tuple(wordArb, wordArb, wordArb, wordArb)
const fingerprintsArb = fc.array(fingerprintArb, { maxLength: 200 })

const wordsOf = (list: ReadonlyArray<readonly number[]>): Uint32Array => Uint32Array.from(list.flat())
const big = (f: readonly number[]): bigint => f.reduce((sum, word) => (sum << 32n) | BigInt(word), 0n)
const name = (words: Uint32Array, i: number): string => Array.from(words.subarray(4 * i, 4 * i + 4)).join(':')
const sortedDistinct = (list: ReadonlyArray<readonly number[]>): Uint32Array => {
  const values = [...new Set(list.map(big))].sort((a, b) => a < b ? -1 : a > b ? 1 : 0)
  return Uint32Array.from(values.flatMap(v => [Number(v >> 96n), Number((v >> 64n) & 0xffffffffn), Number((v >> 32n) & 0xffffffffn), Number(v & 0xffffffffn)]))
}

test('sortDistinct orders fingerprints by all 128 bits and drops repeats', () => {
  fc.assert(fc.property(fingerprintsArb, list => {
    assert.deepEqual(Array.from(sortDistinct(wordsOf(list), list.length)), Array.from(sortedDistinct(list)))
  }), { numRuns: 300 })
  // A partition's fingerprints share the top bits of their first word.
  const prefixed = fc.tuple(fc.integer({ min: 1, max: 24 }), fc.nat({ max: 0xffffffff }), fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), wordArb, wordArb, wordArb), { maxLength: 300 }))
  fc.assert(fc.property(prefixed, ([bits, prefix, raw]) => {
    const mask = (2 ** (32 - bits)) - 1
    const list = raw.map(([w0, w1, w2, w3]) => [((prefix & ~mask) | (w0 & mask)) >>> 0, w1, w2, w3])
    assert.deepEqual(Array.from(sortDistinct(wordsOf(list), list.length)), Array.from(sortedDistinct(list)))
  }), { numRuns: 300 })
  // Large enough for many buckets; the first word is narrowed so that buckets hold ties.
  const n = 100_000
  const many = new Uint32Array(4 * n).map((_, k) => Math.imul((k >>> 2) % 60_000 + (k & 3), 0x9e3779b1) >>> (k % 4 === 0 ? 12 : 0))
  const sorted = sortDistinct(many, n)
  const distinct = new Set(Array.from({ length: n }, (_, i) => name(many, i)))
  assert.equal(sorted.length / 4, distinct.size)
  for (let i = 1; i < distinct.size; i++) assert.ok(big(Array.from(sorted.subarray(4 * i - 4, 4 * i))) < big(Array.from(sorted.subarray(4 * i, 4 * i + 4))), `fingerprint ${i} in order`)
  for (const i of [0, 17, distinct.size - 1]) assert.equal(findFingerprint(sorted, 0, distinct.size, sorted, i), i)
})

const opArb = fc.record({ remove: fc.boolean(), id: fc.integer({ min: 0, max: 3 }), fingerprints: fc.array(fingerprintArb, { maxLength: 30 }) })

test('a run changed by adds and removes holds what a map of source sets holds, through encode and decode', () => {
  fc.assert(fc.property(fc.array(opArb, { maxLength: 12 }), ops => {
    const model = new Map<string, Set<number>>()
    let run: Run | undefined
    for (const op of ops) {
      const sorted = sortDistinct(wordsOf(op.fingerprints), op.fingerprints.length)
      const n = sorted.length / 4
      const before = model.size
      for (let i = 0; i < n; i++) {
        const key = name(sorted, i)
        const ids = model.get(key) ?? new Set<number>()
        if (op.remove) ids.delete(op.id)
        else ids.add(op.id)
        if (ids.size === 0) model.delete(key)
        else model.set(key, ids)
      }
      if (run === undefined) {
        if (op.remove || n === 0) continue
        run = freshRun(sorted, 0, n, op.id)
        assert.equal(run.length, model.size - before)
      } else {
        const change = op.remove ? removeFromRun(run, sorted, 0, n, op.id) : addToRun(run, sorted, 0, n, op.id)
        assert.equal(change.delta, Math.abs(model.size - before), 'delta counts the references gained or lost')
        if (!change.changed) continue
        run = change.run
      }
      run = run === undefined ? undefined : decodeRun(encodeRun(run))
      const held = new Map<string, number[]>()
      for (let i = 0; i < (run?.length ?? 0); i++) held.set(name((run as Run).words, i), [...setAt(run as Run, i)])
      assert.deepEqual(held, new Map([...model].map(([key, ids]) => [key, [...ids].sort((a, b) => a - b)])))
      if (run !== undefined) assert.deepEqual(Array.from(run.words), Array.from(sortDistinct(run.words, run.length)), 'the run stays sorted')
    }
  }), { numRuns: 300 })
})

test('a run with more than one source set round-trips its set indices (u16 and u32 widths)', () => {
  for (const sets of [3, 70_000]) {
    const n = sets
    const words = new Uint32Array(4 * n).map((_, k) => k % 4 === 0 ? Math.floor(k / 4) : 7)
    const run: Run = { length: n, words, sets: Array.from({ length: sets }, (_, s) => [s % 65536]), setOf: Uint32Array.from({ length: n }, (_, i) => i % sets) }
    const back = decodeRun(encodeRun(run))
    assert.equal(back.sets.length, sets)
    for (const i of [0, 1, n - 1]) assert.deepEqual(setAt(back, i), [i % sets % 65536])
  }
})
