import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { compareKeys } from '@keydiff/core'

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

test('compareKeys agrees with UTF-8 byte order for any strings', () => {
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => {
    assert.equal(Math.sign(compareKeys(a, b)), Math.sign(utf8Order(a, b)))
  }), { numRuns: 2000 })
})

test('compareKeys sorts astral code points above U+E000–U+FFFF, as UTF-8 does', () => {
  const keys = ['\uFFFD', '\u{1F600}', '\uE000', 'z', '\u{10000}']
  assert.deepEqual([...keys].sort(compareKeys), [...keys].sort(utf8Order))
  assert.ok(compareKeys('\u{1F600}', '\uFFFD') > 0)
})

test('compareKeys orders prefixes first', () => {
  assert.ok(compareKeys('a', 'ab') < 0)
  assert.equal(compareKeys('', ''), 0)
  assert.ok(compareKeys('', 'a') < 0)
})
