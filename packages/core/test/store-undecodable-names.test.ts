import assert from 'node:assert/strict'
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import fc from 'fast-check'
import { directoryDeleteSink, directoryQuarantineSink, directorySource, map, plan, union, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { escapeFileName } from '../src/store/escape-file-name.ts'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { OLD } from './sweep-helpers.ts'

// A file name that is not valid UTF-8 cannot be a key: the directory source counts and names
// it (escaped) instead of silently leaving it out, and a sink never reports such a file done.

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('names') })
after(async () => { await dir.remove() })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out
}

/** A path under `root` with raw bytes in it (Buffer paths reach the file system unchanged). */
function rawPath (root: string, ...parts: Array<string | Buffer>): Buffer {
  return Buffer.concat([Buffer.from(root), ...parts.flatMap(part => [Buffer.from('/'), Buffer.from(part)])])
}

test('names that are not valid UTF-8 are never listed, and are counted and named, escaped', async () => {
  const root = join(dir.path, 'listing')
  await writeEntries(root, [{ key: 'good.txt' }, { key: 'sub/ok' }, { key: 'café' }])
  writeFileSync(rawPath(root, Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74])), 'x') // bad\xff.txt
  mkdirSync(rawPath(root, 'sub', Buffer.from([0x64, 0xfe])))
  writeFileSync(rawPath(root, 'sub', Buffer.from([0x64, 0xfe]), 'inner'), 'x')
  const source = directorySource({ root })
  assert.deepEqual(await keys(source), ['café', 'good.txt', 'sub/ok'])
  assert.deepEqual(source.unlisted, { count: 2, examples: ['bad\\xff.txt', 'sub/d\\xfe/'] })

  const sub = directorySource({ root: join(root, 'sub') })
  assert.deepEqual(await keys(sub), ['ok'])
  assert.deepEqual(sub.unlisted, { count: 1, examples: ['d\\xfe/'] })
  const none = directorySource({ root, prefix: 'good' })
  assert.deepEqual(await keys(none), ['good.txt'])
  assert.equal(none.unlisted, undefined)
  // through a transform and a union, what could not be listed is still said
  const mapped = map(entry => entry.key.toUpperCase())(directorySource({ root }))
  assert.deepEqual(await keys(mapped), ['CAFÉ', 'GOOD.TXT', 'SUB/OK'])
  assert.deepEqual(mapped.unlisted, { count: 2, examples: ['bad\\xff.txt', 'sub/d\\xfe/'] })
  const both = union(directorySource({ root }), directorySource({ root: join(root, 'sub') }))
  await keys(both)
  assert.deepEqual(both.unlisted, { count: 3, examples: ['bad\\xff.txt', 'sub/d\\xfe/', 'd\\xfe/'] })
})

test('a plan of a store holding such a name says so in its header', async () => {
  const root = join(dir.path, 'planned')
  await writeEntries(root, [{ key: 'kept.txt', lastModified: OLD }, { key: 'orphan.txt', lastModified: OLD }])
  writeFileSync(rawPath(root, Buffer.from([0x6f, 0xff])), 'x')
  const summary = await plan({ candidates: directorySource({ root }), references: keySource([[{ key: 'kept.txt' }]], { name: 'references' }), out: join(dir.path, 'planned.plan.jsonl') })
  assert.equal(summary.header.counts.unlisted, 1)
  assert.deepEqual(summary.header.unlisted?.map(entry => [entry.count, entry.examples]), [[1, ['o\\xff']]])
})

test('a key holding U+FFFD whose file is not there is never reported done: it may stand for an undecodable name', async () => {
  const root = join(dir.path, 'acting')
  const bad = rawPath(root, Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]))
  mkdirSync(root, { recursive: true })
  writeFileSync(bad, 'x')
  // an external listing decoded the name with replacement, as any UTF-8 decoder does
  const key = Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2e, 0x74, 0x78, 0x74]).toString('utf8')
  assert.equal(key, 'bad\uFFFD.txt')
  for (const sink of [directoryDeleteSink({ root }), directoryQuarantineSink({ root })]) {
    const [outcome] = await sink.apply([{ key }])
    assert.equal(outcome?.ok, false, sink.name)
    assert.equal(outcome?.retryable, false)
    assert.match(outcome?.error ?? '', /not valid UTF-8/)
    assert.ok(existsSync(bad), 'the file is still there')
  }
  // a name that really holds U+FFFD (valid UTF-8) is a file like any other
  await writeEntries(root, [{ key: 'real\uFFFD.txt' }])
  const [deleted] = await directoryDeleteSink({ root }).apply([{ key: 'real\uFFFD.txt' }])
  assert.equal(deleted?.ok, true)
  assert.ok(!existsSync(join(root, 'real\uFFFD.txt')))
  // a key without U+FFFD whose file is gone is done, as before
  const [gone] = await directoryDeleteSink({ root }).apply([{ key: 'never-there.txt' }])
  assert.equal(gone?.ok, true)
})

test('escapeFileName keeps valid UTF-8 and escapes every other byte, so distinct names stay distinct', () => {
  assert.equal(escapeFileName(Buffer.from([0x62, 0xff, 0x5c, 0x0a, 0xc3, 0xa9, 0xe2, 0x82])), 'b\\xff\\x5c\\x0aé\\xe2\\x82')
  fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 40 }), (a, b) => {
    const x = Buffer.from(a)
    const y = Buffer.from(b)
    assert.equal(escapeFileName(x) === escapeFileName(y), x.equals(y))
  }))
  fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }).filter(text => !/[\x00-\x1f\x7f\\]/.test(text)), text => {
    assert.equal(escapeFileName(Buffer.from(text)), text)
  }))
})
