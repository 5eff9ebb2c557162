import assert from 'node:assert/strict'
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { readBytes } from '../src/sources/text-input.ts'

// A file read into two buffers in turn must give the bytes a fresh buffer a read gives, and
// keep each chunk intact until the one after next is read.
const work = mkdtempSync(join(tmpdir(), 'keydiff-read-bytes-test-'))
after(() => rmSync(work, { recursive: true, force: true }))
let files = 0

test('reading into buffers in turn gives the file\'s bytes, gunzipped too, and keeps each chunk until the one after next', async () => {
  await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 3000, size: 'max' }), fc.integer({ min: 64, max: 256 }) /* gunzip takes 64 bytes at the least */, fc.boolean(), async (bytes, chunkBytes, gzip) => {
    const path = join(work, `f${files++}`)
    writeFileSync(path, gzip ? gzipSync(bytes) : bytes)
    const copies: Buffer[] = []
    let previous: { view: Buffer, copy: Buffer } | undefined
    for await (const chunk of readBytes(path, `test:${path}`, { chunkBytes, reuse: true })) {
      if (previous !== undefined) assert.deepEqual(previous.view, previous.copy)
      previous = { view: chunk, copy: Buffer.from(chunk) }
      copies.push(previous.copy)
    }
    assert.deepEqual(Buffer.concat(copies), Buffer.from(bytes))
    const fresh: Buffer[] = []
    for await (const chunk of readBytes(path, `test:${path}`, { chunkBytes })) fresh.push(chunk)
    assert.deepEqual(Buffer.concat(fresh), Buffer.from(bytes))
  }), { numRuns: 200 })
})

test('a reader in turn that is left early closes its file, plain or gzipped', async () => {
  const bytes = Buffer.alloc(64 * 1024, 'key\n')
  const fds = (): number => readdirSync('/proc/self/fd').length
  for (const gzip of [false, true]) {
    const path = join(work, `early-${String(gzip)}`)
    writeFileSync(path, gzip ? gzipSync(bytes) : bytes)
    const before = fds()
    for await (const chunk of readBytes(path, `test:${path}`, { chunkBytes: 1024, reuse: true })) {
      assert.ok(chunk.length > 0)
      break
    }
    // A file handle closes asynchronously once the reader returns.
    await new Promise(resolve => setTimeout(resolve, 50))
    assert.equal(fds(), before, `gzip: ${String(gzip)}`)
  }
})
