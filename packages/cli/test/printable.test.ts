import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { withoutPasswords } from '../src/printable.ts'

test('withoutPasswords hides a URL\'s password however it is written, and keeps a user that has none', () => {
  assert.equal(withoutPasswords('mysql://root@127.0.0.1:3306/test failed'), 'mysql://root@127.0.0.1:3306/test failed')
  assert.equal(withoutPasswords('postgres:/keydiff:hunter2@db/x'), 'postgres:***@db/x')
  assert.equal(withoutPasswords('mysql://u://hunter2@h'), 'mysql://u:***@h')
  const word = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/)
  const secret = fc.stringMatching(/^[A-Za-z0-9/%#?!$&'()*+,;=~._-]{6,24}$/).filter(text => !text.includes('@') && /[!$&~]/.test(text))
  fc.assert(fc.property(fc.constantFrom('postgres', 'mysql', 'mongodb'), fc.constantFrom('://', ':/', ':'), word, secret, word, (scheme, slashes, user, password, host) => {
    const text = `connecting to ${scheme}${slashes}${user}:${password}@${host}:5432/db failed`
    assert.ok(!withoutPasswords(text).includes(password), withoutPasswords(text))
  }))
})
