import assert from 'node:assert/strict'
import { availableParallelism } from 'node:os'
import { test } from 'node:test'
import fc from 'fast-check'
import { defaultThreads } from '../src/engine/default-threads.ts'

const MiB = 1024 * 1024

test('a diff\'s default threads: the cores, never more than two and one for each 80 MiB of the budget, more memory never fewer', () => {
  fc.assert(fc.property(fc.integer({ min: MiB, max: 64 * 1024 * MiB }), fc.integer({ min: 0, max: 1024 * MiB }), (memory, more) => {
    const threads = defaultThreads(memory)
    assert.ok(Number.isInteger(threads) && threads >= 1)
    assert.ok(threads <= availableParallelism())
    assert.ok(threads <= 2 + memory / (80 * MiB))
    assert.ok(defaultThreads(memory + more) >= threads)
  }))
  assert.equal(defaultThreads(128 * MiB), Math.min(availableParallelism(), 3))
  assert.equal(defaultThreads(1 * MiB), Math.min(availableParallelism(), 2))
  assert.equal(defaultThreads(64 * 1024 * MiB), availableParallelism())
})
