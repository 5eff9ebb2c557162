import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, readdirSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { gzipSync } from 'node:zlib'
import { after, before, test } from 'node:test'
import { csvSource, directorySource, jsonLinesSource, linesSource, map, plan, union, type KeySource } from '@keydiff/core'
import { keySource, LINE_CHUNKS, type LineChunk } from '@keydiff/core/adapter'
import { LineHashThread } from '../src/engine/line-hash-thread.ts'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { DAY, filesUnder } from './sweep-helpers.ts'

// A file of references that changes while it is read (truncated, appended to) gives no
// snapshot of anything: the read fails with KEYDIFF_SOURCE_FAILED naming the file, on every
// path that reads files (the sources' own, the engine's byte chunks, the line thread), and a
// plan made from it fails and writes nothing. The changes come from other processes.

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('source-changes') })
after(async () => { await dir.remove() })
let files = 0

// Enough lines for many reads of each reader's chunks (256 KiB for the sources, 1 MiB for the
// engine's) beyond what gunzip's input reads ahead (16 chunks): a gzipped file is stored
// uncompressed (level 0), so that the change comes while it is still being read.
const LINES = 150_000
const PARSED_LINES = 60_000 // JSON Lines and CSV: fewer, as they parse slower
const GZIP_LINES = 600_000
const CHUNK_LINES = 400_000
const GZIP_CHUNK_LINES = 1_500_000

type Kind = 'lines' | 'jsonl' | 'csv'

function content (kind: Kind, lines = LINES): string {
  const keys = Array.from({ length: lines }, (_, i) => `refs/${String(i).padStart(9, '0')}`)
  if (kind === 'jsonl') return keys.map(key => `{"k":"${key}"}\n`).join('')
  if (kind === 'csv') return `key\n${keys.join('\n')}\n`
  return `${keys.join('\n')}\n`
}

function file (kind: Kind, gzip = false, lines = gzip ? GZIP_LINES : kind === 'lines' ? LINES : PARSED_LINES): string {
  const path = join(dir.path, `refs-${files++}.${kind}${gzip ? '.gz' : ''}`)
  writeFileSync(path, gzip ? gzipSync(content(kind, lines), { level: 0 }) : content(kind, lines))
  return path
}

function source (kind: Kind, path: string): KeySource {
  if (kind === 'jsonl') return jsonLinesSource(path, { field: 'k' })
  if (kind === 'csv') return csvSource(path, { column: 'key' })
  return linesSource(path)
}

type Change = 'truncate' | 'append'

/** Another process truncates the file to a quarter, or appends a line to it (a valid gzip member when gzipped). */
function change (path: string, how: Change, line = 'late/key'): void {
  const script = how === 'truncate'
    ? 'const fs = require("fs"); const [p] = process.argv.slice(1); fs.truncateSync(p, Math.floor(fs.statSync(p).size / 4))'
    : 'const fs = require("fs"); const [p, line] = process.argv.slice(1); fs.appendFileSync(p, p.endsWith(".gz") ? require("zlib").gzipSync(line + "\\n") : line + "\\n")'
  const result = spawnSync(process.execPath, ['-e', script, path, line], { stdio: 'inherit' })
  assert.equal(result.status, 0)
}

function failsNaming (path: string) {
  return (error: Error & { code?: string }): boolean => {
    assert.equal(error.code, 'KEYDIFF_SOURCE_FAILED', error.message)
    assert.ok(error.message.includes(path), error.message)
    return true
  }
}

/** Takes the first item, lets `between` run, then drains the rest. */
async function drainWith<T> (items: AsyncIterable<T>, between: () => void): Promise<void> {
  let first = true
  for await (const item of items) {
    void item
    if (first) between()
    first = false
  }
}

// gunzip's path is the same for every kind: it is tried with lines
for (const kind of ['lines', 'jsonl', 'csv'] as const) {
  for (const gzip of kind === 'lines' ? [false, true] : [false]) {
    for (const how of ['truncate', 'append'] as const) {
      test(`a ${gzip ? 'gzipped ' : ''}${kind} file that another process ${how === 'truncate' ? 'truncates' : 'appends to'} mid-read fails the source`, async () => {
        const path = file(kind, gzip)
        await assert.rejects(drainWith(source(kind, path), () => change(path, how, kind === 'jsonl' ? '{"k":"late/key"}' : 'late/key')), failsNaming(path))
      })
    }
  }
}

test('the engine\'s byte chunks and the line thread fail too, truncated or appended to', async () => {
  const chunksOf = (path: string): AsyncIterable<LineChunk> => ((linesSource(path) as unknown as Record<symbol, () => AsyncIterable<LineChunk>>)[LINE_CHUNKS] as () => AsyncIterable<LineChunk>)()
  for (const how of ['truncate', 'append'] as const) {
    const path = file('lines', false, CHUNK_LINES)
    await assert.rejects(drainWith(chunksOf(path), () => change(path, how)), failsNaming(path))

    const threaded = file('lines', false, CHUNK_LINES)
    const thread = new LineHashThread([[{ path: threaded, name: `lines:${threaded}` }]], 4, { ahead: 1 })
    try {
      await assert.rejects(drainWith(thread.batches(0), () => change(threaded, how)), failsNaming(threaded))
    } finally {
      thread.stop()
    }
  }
  // gzipped, the bytes are copied for gunzip: the same check holds
  const gzipped = file('lines', true, GZIP_CHUNK_LINES)
  await assert.rejects(drainWith(chunksOf(gzipped), () => change(gzipped, 'truncate')), failsNaming(gzipped))
})

test('a file read to its end unchanged passes, on every path', async () => {
  const path = file('lines', false, 50_000)
  let count = 0
  for await (const batch of linesSource(path)) count += batch.length
  assert.equal(count, 50_000)
  count = 0
  for await (const chunk of ((linesSource(path) as unknown as Record<symbol, () => AsyncIterable<LineChunk>>)[LINE_CHUNKS] as () => AsyncIterable<LineChunk>)()) count += chunk.length
  assert.equal(count, 50_000)
  const thread = new LineHashThread([[{ path, name: `lines:${path}` }]], 4)
  count = 0
  try {
    for await (const lines of thread.batches(0)) count += lines.length
  } finally {
    thread.stop()
  }
  assert.equal(count, 50_000)
})

/**
 * Another process that watches this one's open files (Linux /proc) and, once `path` is open
 * and read partway, truncates it to half of what was read, or appends to it. Resolves with
 * what it did, once it did it.
 */
function watcher (path: string, how: Change): { ready: Promise<void>, acted: Promise<string> } {
  const script = `
    const fs = require('fs')
    const [pid, path, how] = process.argv.slice(1)
    process.stdout.write('ready\\n')
    const deadline = Date.now() + 20000
    for (;;) {
      if (Date.now() > deadline) { process.stdout.write('timeout\\n'); process.exit(1) }
      let fds = []
      try { fds = fs.readdirSync('/proc/' + pid + '/fd') } catch {}
      for (const fd of fds) {
        let target, pos
        try {
          target = fs.readlinkSync('/proc/' + pid + '/fd/' + fd)
          if (target !== path) continue
          pos = Number(/pos:\\s+(\\d+)/.exec(fs.readFileSync('/proc/' + pid + '/fdinfo/' + fd, 'utf8'))[1])
        } catch { continue }
        const size = fs.statSync(path).size
        if (pos > 0 && pos < size / 2) {
          if (how === 'truncate') fs.truncateSync(path, Math.floor(pos / 2))
          else fs.appendFileSync(path, 'late/key\\n')
          process.stdout.write(how + ' at ' + pos + ' of ' + size + '\\n')
          process.exit(0)
        }
      }
    }`
  const child = spawn(process.execPath, ['-e', script, String(process.pid), path, how], { stdio: ['ignore', 'pipe', 'inherit'] })
  let output = ''
  let ready!: () => void
  const readiness = new Promise<void>(resolve => { ready = resolve })
  const acted = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('ready')) ready()
    })
    child.on('exit', code => code === 0 ? resolve(output) : reject(new Error(`the watcher failed: ${output}`)))
  })
  return { ready: readiness, acted }
}

for (const readThread of [true, false]) {
  for (const how of ['truncate', 'append'] as const) {
    test(`a plan whose references file another process ${how === 'truncate' ? 'truncates' : 'appends to'} mid-read fails and writes no plan (${readThread ? 'line thread' : 'byte chunks'})`, async () => {
      const root = join(dir.path, `store-${files++}`)
      await writeEntries(root, [{ key: 'refs/000000001', lastModified: new Date(Date.now() - 3 * DAY) }, { key: 'orphan', lastModified: new Date(Date.now() - 3 * DAY) }])
      const path = file('lines', false, 1_000_000) // about 15 MB: a read of many chunks and hashes
      const outDir = join(dir.path, `plan-${files++}`)
      mkdirSync(outDir)
      const other = watcher(path, how)
      await other.ready
      await assert.rejects(plan({
        candidates: directorySource({ root }),
        references: linesSource(path),
        out: join(outDir, 'plan.jsonl'),
        diff: { readThread },
        maxMissingShare: 1,
        maxOrphanShare: 1
      }), failsNaming(path))
      assert.match(await other.acted, new RegExp(`${how} at \\d+`))
      assert.deepEqual(readdirSync(outDir), [], 'no plan file, and nothing half written')
    })
  }
}

test('a plan merging sorted sides fails when its references file is truncated between two of its reads', async () => {
  for (const how of ['truncate', 'append'] as const) {
    const path = file('lines')
    const outDir = join(dir.path, `plan-${files++}`)
    mkdirSync(outDir)
    // the merge reads both sides in step: after the candidates' first batch, the references are partly read
    const candidates = keySource(async function * () {
      yield [{ key: 'refs/000000000', lastModified: new Date(0) }, { key: 'refs/000000001!', lastModified: new Date(0) }]
      change(path, how, 'zz/late')
      yield [{ key: 'zz', lastModified: new Date(0) }]
    }, { name: 'candidates', sorted: true })
    await assert.rejects(plan({ candidates, references: linesSource(path, { sorted: true }), out: join(outDir, 'plan.jsonl'), maxMissingShare: 1, maxOrphanShare: 1 }), failsNaming(path))
    assert.deepEqual(readdirSync(outDir), [])
  }
})

test('the fence of a file of references is its modification time when that is earlier than the read', async () => {
  const path = file('lines', false, 10)
  const written = new Date(Date.now() - 40 * 3600_000)
  utimesSync(path, written, written)
  for (const kind of ['lines', 'jsonl', 'csv'] as const) {
    const typed = file(kind, false, 10)
    utimesSync(typed, written, written)
    const read = source(kind, typed)
    for await (const batch of read) void batch
    assert.equal(read.scanStartedAt?.getTime(), written.getTime(), kind)
    assert.equal(read.scanBasis, 'file modified')
  }
  // the engine's own readers mark it too
  const chunked = linesSource(path) as unknown as KeySource & Record<symbol, () => AsyncIterable<LineChunk>>
  for await (const chunk of (chunked[LINE_CHUNKS] as () => AsyncIterable<LineChunk>)()) void chunk
  assert.equal(chunked.scanStartedAt?.getTime(), written.getTime())
  assert.equal(chunked.scanBasis, 'file modified')

  // a transform or a union of sources keeps it
  const joined = union(linesSource(file('lines', false, 10)), map(entry => entry.key)(linesSource(path)))
  for await (const batch of joined) void batch
  assert.equal(joined.scanStartedAt?.getTime(), written.getTime())
  assert.equal(joined.scanBasis, 'file modified')

  // a file dated in the future, and standard input, count from the read's start
  const future = file('lines', false, 10)
  utimesSync(future, new Date(Date.now() + DAY), new Date(Date.now() + DAY))
  for (const input of [future, Readable.from([Buffer.from('a\nb\n')])]) {
    const before = Date.now()
    const read = linesSource(input)
    for await (const batch of read) void batch
    assert.ok((read.scanStartedAt?.getTime() ?? 0) >= before)
    assert.equal(read.scanBasis, 'read started')
  }
})

test('an export written 40 h ago fences an object written 30 h ago out of a plan under a 24 h grace', async () => {
  const root = join(dir.path, 'fenced-store')
  const old = new Date(Date.now() - 3 * DAY)
  await writeEntries(root, [{ key: 'live/referenced.bin', lastModified: old }, { key: 'live/new.bin', lastModified: new Date(Date.now() - 30 * 3600_000) }, { key: 'dead.bin', lastModified: old }])
  const path = join(dir.path, 'export.txt')
  writeFileSync(path, 'live/referenced.bin\n')
  const written = new Date(Date.now() - 40 * 3600_000)
  utimesSync(path, written, written)
  const out = join(dir.path, 'fenced.plan.jsonl')
  const summary = await plan({ candidates: directorySource({ root }), references: linesSource(path), out, grace: '24h', maxOrphanShare: 1 })
  assert.equal(summary.header.counts.planned, 1)
  assert.equal(summary.header.counts.tooYoung, 1)
  assert.deepEqual((await filesUnder(root)).length, 3)
})
