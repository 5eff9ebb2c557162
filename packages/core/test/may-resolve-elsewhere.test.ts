import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { mayResolveElsewhere } from '@keydiff/core/adapter'
import { resolveReference } from '../src/location/resolve-reference.ts'

// The invariant a shard relies on when it drops a reference outside its range: a reference
// the pattern does not match resolves to exactly its own text, in every store kind.
test('a reference that mayResolveElsewhere does not match resolves to its own text, against a directory or a bucket', () => {
  const text = fc.string({ unit: fc.constantFrom('a', 'B', '/', '.', '%', ':', '\\', '#', ' ', 'é', '2', '_'), minLength: 1, maxLength: 12 })
  fc.assert(fc.property(text, reference => {
    if (mayResolveElsewhere(reference)) return
    for (const store of ['file:///srv/store', 's3://bucket/', 'gs://bucket/']) {
      const resolved = resolveReference(reference, store)
      assert.deepEqual(resolved, { kind: 'key', key: reference }, `${JSON.stringify(reference)} in ${store}`)
    }
  }), { numRuns: 2000 })
  assert.deepEqual(['s3://b/k', '/abs/k', 'a%2Fb', 'a//b', './a', 'a/../b', 'a\\b', 'a/'].map(mayResolveElsewhere), [true, true, true, true, true, true, true, true])
  assert.equal(mayResolveElsewhere('blobs/ab/cd.bin'), false)
})
