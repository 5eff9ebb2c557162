import { test } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { formatCount } from '@keydiff/core'

test('formatCount writes any number as toLocaleString(\'en-US\') does', () => {
  fc.assert(fc.property(fc.oneof(fc.integer({ min: -1e6, max: 1e6 }), fc.maxSafeInteger(), fc.maxSafeNat(), fc.double()), value => {
    assert.equal(formatCount(value), value.toLocaleString('en-US'))
  }))
  for (const value of [0, -0, 7, 999, 1000, -1000, 123456, 1234567, Number.MAX_SAFE_INTEGER, 2 ** 53, 1.5, NaN, Infinity]) assert.equal(formatCount(value), value.toLocaleString('en-US'))
})
