import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { arraySource, compareKeys, diff, linesSource, spillReferenceSet, union, type DiffOptions, type KeySource } from '@keydiff/core'
import { keySource, LINE_CHUNKS } from '@keydiff/core/adapter'

// A file's lines reach the engine as bytes (hashed where they lie); these tests hold that path
// to the string path of the same files, which the engine takes for any other source.
const work = mkdtempSync(join(tmpdir(), 'keydiff-line-bytes-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

// Bytes that make CR/LF endings, blank lines, multi-byte and invalid UTF-8 likely.
const byteArb = fc.constantFrom(0x61, 0x62, 0x2f, 0x20, 0x0d, 0x0a, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80)
const fileArb = fc.array(byteArb, { maxLength: 400 }).map(bytes => Uint8Array.from(bytes))
let files = 0

function file (bytes: Uint8Array, gzip: boolean): string {
  const path = join(work, `f${files++}.txt`)
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes)
  return path
}

/**
 * The same file, read as strings: a plain key source without the byte capability. It keeps
 * the file's estimate, which sizes a Bloom filter: filters of two shapes would let different
 * candidates through.
 */
const asText = (path: string): KeySource => {
  const lines = linesSource(path)
  return keySource(() => lines, { name: lines.name, estimatedCount: lines.estimatedCount })
}

async function keysOf (options: DiffOptions): Promise<{ orphans: string[], missing: string[] }> {
  const orphans: string[] = []
  const missing: string[] = []
  for await (const part of diff(options)) (part.kind === 'orphans' ? orphans : missing).push(...part.entries.map(entry => entry.key))
  return { orphans: orphans.sort(compareKeys), missing: missing.sort(compareKeys) }
}

async function textKeys (path: string): Promise<string[]> {
  const keys: string[] = []
  for await (const batch of asText(path)) for (const entry of batch) keys.push(entry.key)
  return keys
}

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key)).sort(compareKeys)
}

test('exact diff of files read as bytes equals the Set difference of their text lines, in memory and spilled', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, fc.boolean(), fc.boolean(), fc.constantFrom(undefined, 0, 3), fc.constantFrom(1, 7, 1000), async (c, r, gzip, missing, maxInMemory, orphanWindow) => {
    const candidates = file(c, gzip)
    const references = file(r, false)
    const expectedOrphans = minus(await textKeys(candidates), await textKeys(references))
    const expectedMissing = missing ? minus(await textKeys(references), await textKeys(candidates)) : []
    const referenceSet = maxInMemory === undefined ? undefined : spillReferenceSet({ tmpdir: work, maxInMemory, partitions: 2, orphanWindow })
    const got = await keysOf({ candidates: linesSource(candidates), references: linesSource(references), missing, ...(referenceSet === undefined ? {} : { referenceSet }) })
    assert.deepEqual(got.orphans, expectedOrphans)
    assert.deepEqual(got.missing, expectedMissing)
  }), { numRuns: 200 })
})

test('bloom diff of files read as bytes reports exactly what the string path reports', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, async (c, r) => {
    const candidates = file(c, false)
    const references = file(r, false)
    const bytes = await keysOf({ candidates: linesSource(candidates), references: linesSource(references), mode: 'bloom', memory: '1MiB' })
    const text = await keysOf({ candidates: asText(candidates), references: asText(references), mode: 'bloom', memory: '1MiB' })
    assert.deepEqual(bytes.orphans, text.orphans)
    const referenced = new Set(await textKeys(references))
    for (const key of bytes.orphans) assert.ok(!referenced.has(key), `referenced key ${JSON.stringify(key)} reported`)
  }), { numRuns: 150 })
})

test('lines across read chunks, a line longer than the hashing arena, and no final newline', async () => {
  const long = 'L'.repeat(3 * 1024 * 1024 + 7)
  const keys = Array.from({ length: 120_000 }, (_, i) => `blobs/${(i * 7919).toString(16)}/${'é'.repeat(i % 5)}`)
  const candidates = join(work, 'big-c.txt')
  const references = join(work, 'big-r.txt')
  writeFileSync(candidates, [...keys, long, 'orphan/1', 'orphan/2\r', 'tail-orphan'].join('\n'))
  writeFileSync(references, [...keys.filter((_, i) => i % 3 !== 0), long, 'unused'].join('\r\n') + '\r\n')
  const expected = [...keys.filter((_, i) => i % 3 === 0), 'orphan/1', 'orphan/2', 'tail-orphan'].sort(compareKeys)
  for (const mode of ['exact', 'bloom'] as const) {
    const got = await keysOf({ candidates: linesSource(candidates), references: linesSource(references), mode, missing: mode === 'exact' })
    if (mode === 'exact') {
      assert.deepEqual(got.orphans, expected)
      assert.deepEqual(got.missing, ['unused'])
    } else {
      assert.ok(got.orphans.length >= expected.length * 0.95, `bloom found ${got.orphans.length} of ${expected.length}`)
      const known = new Set(expected)
      for (const key of got.orphans) assert.ok(known.has(key), `bloom reported ${key.slice(0, 40)}`)
    }
  }
})

test('a byte-read source records when its scan started and fails the run when its file is missing', async () => {
  const references = linesSource(file(Buffer.from('a\nb\n'), false))
  const run = diff({ candidates: linesSource(file(Buffer.from('a\nc\n'), false)), references })
  const got: string[] = []
  for await (const part of run) got.push(...part.entries.map(entry => entry.key))
  assert.deepEqual(got, ['c'])
  assert.ok(references.scanStartedAt instanceof Date)
  assert.equal(run.stats.referenceScanStartedAt, references.scanStartedAt.toISOString())
  await assert.rejects(keysOf({ candidates: linesSource(join(work, 'absent.txt')), references: linesSource(file(Buffer.from('a\n'), false)) }), { code: 'KEYDIFF_SOURCE_NOT_FOUND' })
})

test('several reference files keep the byte path, and each keeps its name in errors', async () => {
  const files = [file(Buffer.from('a\nb\n'), false), file(Buffer.from('c\r\nd'), true), file(Buffer.from('\ne\n'), false)]
  const references = union(...files.map(path => linesSource(path)))
  assert.equal(typeof (references as { [LINE_CHUNKS]?: unknown })[LINE_CHUNKS], 'function')
  assert.equal(typeof (union(linesSource(files[0] as string), arraySource(['x'])) as { [LINE_CHUNKS]?: unknown })[LINE_CHUNKS], 'undefined')
  for (const mode of ['exact', 'bloom'] as const) {
    const got = await keysOf({ candidates: linesSource(file(Buffer.from('a\nc\ne\nf\ng\n'), false)), references: files.map(path => linesSource(path)), mode })
    assert.deepEqual(got.orphans, ['f', 'g'])
  }
  const broken = join(work, 'absent-reference.txt')
  await assert.rejects(keysOf({ candidates: linesSource(files[0] as string), references: [linesSource(files[1] as string), linesSource(broken)] }), (error: Error) => error.message.includes(broken))
})

test('spilled candidates whose keys a thread reads back from their files: the orphans in input order, each once', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, fc.constantFrom(1, 2, 16), async (c, r, partitions) => {
    const candidates = file(c, false)
    const references = file(r, false)
    const drop = new Set(await textKeys(references))
    const expected = [...new Set(await textKeys(candidates))].filter(key => !drop.has(key))
    const orphans: string[] = []
    const referenceSet = spillReferenceSet({ tmpdir: work, maxInMemory: 0, partitions, readBackThread: true })
    for await (const part of diff({ candidates: linesSource(candidates), references: linesSource(references), referenceSet })) orphans.push(...part.entries.map(entry => entry.key))
    assert.deepEqual(orphans, expected)
  }), { numRuns: 25 })
})
