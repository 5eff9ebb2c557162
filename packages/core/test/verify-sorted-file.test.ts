import assert from 'node:assert/strict'
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { compareKeys, KeydiffError, NotSortedError, verifySortedFile, type SortedFileOrderError } from '@keydiff/core'

let dir: string
let files = 0
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-verify-sorted-')) })
after(async () => { await rm(dir, { recursive: true, force: true }) })

async function file (text: string | Buffer): Promise<string> {
  const path = join(dir, `f${files++}.txt`)
  await writeFile(path, text)
  return path
}

const key = fc.array(fc.constantFrom('a', 'b', '/', 'é', '\uE000', '😀'), { minLength: 1, maxLength: 4 }).map(units => units.join(''))

test('property: a file passes exactly when its keys never go down, and fails at the first that does', async () => {
  await fc.assert(fc.asyncProperty(fc.array(key, { maxLength: 40 }), fc.boolean(), async (list, sortFirst) => {
    const keys = sortFirst ? [...list].sort(compareKeys) : list
    const path = await file(keys.map(entry => entry + '\n').join(''))
    const descent = keys.findIndex((entry, i) => i > 0 && compareKeys(entry, keys[i - 1] as string) < 0)
    if (descent < 0) {
      const check = await verifySortedFile(path, { mayResolveElsewhere: () => false })
      assert.equal(check.keys, keys.length)
      const info = await stat(path)
      assert.deepEqual(check.identity, { size: info.size, mtimeMs: info.mtimeMs })
      return
    }
    await assert.rejects(verifySortedFile(path), (error: unknown) => {
      assert.ok(error instanceof NotSortedError)
      const order = error as SortedFileOrderError
      assert.equal(order.line, descent + 1)
      assert.equal(order.previousLine, descent)
      assert.equal(order.key, keys[descent])
      assert.equal(order.previous, keys[descent - 1])
      return true
    })
  }), { numRuns: 150 })
})

test('an out-of-order line is named with its number, its offset and both keys', async () => {
  const path = await file('blobs/a\n\nblobs/c\r\nblobs/b\nblobs/d')
  await assert.rejects(verifySortedFile(path, { name: 'file:refs.txt' }), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_NOT_SORTED')
    assert.equal(error.message, `[keydiff] file:refs.txt: ${path} is declared sorted, but line 4 (byte 18) holds "blobs/b", lower than "blobs/c" (line 3) before it in UTF-8 byte order; sort it with LC_ALL=C sort, or leave out sorted`)
    return true
  })
})

test('keys that may resolve to another key are counted, by default as core resolves them', async () => {
  const path = await file('a\nb/../c\nd\nx%2Fy\nz/\n')
  const check = await verifySortedFile(path)
  assert.equal(check.keys, 5)
  assert.equal(check.resolvingElsewhere, 3)
  assert.deepEqual(check.firstResolvingElsewhere, { line: 2, key: 'b/../c' })
  const mapped = await verifySortedFile(path, { mayResolveElsewhere: entry => entry === 'd' })
  assert.equal(mapped.resolvingElsewhere, 1)
  assert.deepEqual(mapped.firstResolvingElsewhere, { line: 3, key: 'd' })
})

test('JSON Lines: keys from the field, a line without one named by its number', async () => {
  const good = await file('{"k":"a"}\n\n{"k":"b","n":1}\n')
  assert.equal((await verifySortedFile(good, { format: 'jsonl', field: 'k' })).keys, 2)
  const bad = await file('{"k":"a"}\n\n{"k":2}\n')
  await assert.rejects(verifySortedFile(bad, { format: 'jsonl', field: 'k' }), (error: unknown) => {
    assert.ok(error instanceof KeydiffError)
    assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
    assert.match(error.message, /:3: field "k" is not a string/)
    return true
  })
})

test('a gzipped file, and a missing one, are refused', async () => {
  await assert.rejects(verifySortedFile(await file(gzipSync('a\n'))), { code: 'KEYDIFF_INVALID_OPTION' })
  await assert.rejects(verifySortedFile(join(dir, 'nope.txt')), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
})

test('an empty file is sorted', async () => {
  const check = await verifySortedFile(await file(''))
  assert.equal(check.keys, 0)
  assert.equal(check.identity.size, 0)
})
