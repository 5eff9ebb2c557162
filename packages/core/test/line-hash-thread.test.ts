import assert from 'node:assert/strict'
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { compareKeys, diff, linesSource, SourceError, spillReferenceSet, union, type DiffOptions } from '@keydiff/core'
import { LineHasher } from '../src/engine/line-batch.ts'
import { readLineChunks, type LineFile } from '../src/engine/line-chunks.ts'
import { LineHashThread, type AddedLines, type CheckedLines, type HashedLines, type RoutedLines } from '../src/engine/line-hash-thread.ts'
import { unpackLines } from '../src/engine/packed-lines.ts'
import { SplitBlockBloomFilter } from '../src/bloom/split-block-filter.ts'
import { blockCount, blockReadable, readLineBlocks, type FileIdentity } from '../src/engine/line-blocks.ts'
import { PartitionRoute } from '../src/engine/hash-partition.ts'
import type { RecordRoute } from '../src/spill/routed-records.ts'

// Files of lines read, split and hashed on a second thread must give the engine what reading
// them here gives it, line for line; a failure there must fail the stream it belongs to.
const work = mkdtempSync(join(tmpdir(), 'keydiff-line-thread-test-'))
after(() => rmSync(work, { recursive: true, force: true }))

// Bytes that make CR/LF endings, blank lines, multi-byte and invalid UTF-8 likely.
const byteArb = fc.constantFrom(0x61, 0x62, 0x2f, 0x20, 0x0d, 0x0a, 0x0a, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xff, 0x80)
const fileArb = fc.array(byteArb, { maxLength: 400 }).map(bytes => Uint8Array.from(bytes))
let files = 0

function file (bytes: Uint8Array | string, gzip = false): string {
  const path = join(work, `f${files++}.txt`)
  const raw = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  writeFileSync(path, gzip ? gzipSync(raw) : raw)
  return path
}

const lineFile = (path: string): LineFile => ({ path, name: `lines:${path}` })

interface Line { key: string, words: number[] }

/** Each line's text and hash words, as the thread sends them. */
async function threadLines (batches: AsyncIterable<HashedLines | RoutedLines | CheckedLines | AddedLines>): Promise<Line[]> {
  const lines: Line[] = []
  for await (const batch of batches) {
    assert.ok('chunk' in batch, 'an unchecked stream sends its chunks whole')
    const { chunk, words, stride, length } = batch
    for (let i = 0; i < length; i++) {
      lines.push({ key: chunk.bytes.toString('utf8', chunk.starts[i], chunk.ends[i]), words: [...words.subarray(stride * i, stride * i + stride)] })
    }
  }
  return lines
}

/** The same, read and fingerprinted here: the words the engine takes when no thread reads. */
async function localLines (paths: string[], stride: 2 | 4): Promise<Line[]> {
  const lines: Line[] = []
  const hasher = new LineHasher()
  for (const path of paths) {
    for await (const chunk of readLineChunks(path, `lines:${path}`)) {
      const { words } = hasher.hash(chunk)
      for (let i = 0; i < chunk.length; i++) {
        lines.push({ key: chunk.bytes.toString('utf8', chunk.starts[i], chunk.ends[i]), words: [...words.subarray(4 * i, 4 * i + stride)] })
      }
    }
  }
  return lines
}

test('the thread sends every stream\'s lines and hashes as reading them here makes them', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, fileArb, fc.boolean(), fc.constantFrom(2, 4) as fc.Arbitrary<2 | 4>, async (a, b, c, gzip, stride) => {
    const first = [file(a, gzip)]
    const second = [file(b), file(c, gzip)]
    const thread = new LineHashThread([first.map(lineFile), second.map(lineFile)], stride, { ahead: 1 })
    try {
      assert.deepEqual(await threadLines(thread.batches(0)), await localLines(first, stride))
      assert.deepEqual(await threadLines(thread.batches(1)), await localLines(second, stride))
    } finally {
      thread.stop()
    }
  }), { numRuns: 15 })
})

/** The keys of the files' blocks, read by `count` readers and taken from them in turn; each reader must end with its last block. */
function blockKeys (paths: string[], count: number, blockBytes: number): string[] {
  const identities = paths.map(path => blockReadable(path) as FileIdentity)
  const readers = Array.from({ length: count }, (_, index) => readLineBlocks(paths.map(lineFile), identities, { index, count, blockBytes }))
  const keys: string[] = []
  for (let block = 0; block < blockCount(identities, blockBytes); block++) {
    const next = readers[block % count]?.next()
    assert.ok(next !== undefined && next.done !== true, `block ${block} was read`)
    const chunk = next.value
    for (let i = 0; i < chunk.length; i++) keys.push(chunk.bytes.toString('utf8', chunk.starts[i], chunk.ends[i]))
  }
  for (const reader of readers) assert.equal(reader.next().done, true)
  return keys
}

test('blocks of files taken in turn from their readers hold the lines of the files in order, one chunk a block', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 40 }), async (contents, count, blockBytes) => {
    const paths = contents.map(bytes => file(bytes))
    assert.deepEqual(blockKeys(paths, count, blockBytes), (await localLines(paths, 4)).map(line => line.key))
  }), { numRuns: 200 })
})

// A block's first line is found by a read of a few kilobytes, then in steps; a line that runs
// past the block is read on in steps too, into the arena where it is split.
test('blocks find their first line and finish their last across lines far longer than a block or a read step', async () => {
  const lineArb = fc.tuple(fc.constantFrom(0, 1, 4095, 4096, 5000, 65535, 65536, 70000, 140000), fc.constantFrom('a', 'é', '\r', '\ufffd'), fc.boolean())
    .map(([length, fill, cr]) => fill.repeat(length) + (cr ? '\r' : ''))
  await fc.assert(fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 6 }), fc.boolean(), fc.constantFrom(1, 4096, 65536, 100_000), fc.integer({ min: 1, max: 3 }), async (lines, finalNewline, blockBytes, count) => {
    const path = file(lines.join('\n') + (finalNewline ? '\n' : ''))
    assert.deepEqual(blockKeys([path], count, blockBytes), (await localLines([path], 4)).map(line => line.key))
  }), { numRuns: 40 })
})

test('threads that share a stream\'s files by blocks send its lines in file order, as one reader makes them', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 3 }), fileArb, fc.integer({ min: 2, max: 4 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(2, 4) as fc.Arbitrary<2 | 4>, async (firstFiles, second, threads, blockBytes, stride) => {
    const first = firstFiles.map(bytes => file(bytes))
    const thread = new LineHashThread([first.map(lineFile), [lineFile(file(second))]], stride, { threads, blockBytes, ahead: 2 })
    try {
      assert.deepEqual(await threadLines(thread.batches(0)), await localLines(first, stride))
      assert.deepEqual(await threadLines(thread.batches(1)), await localLines([join(work, `f${files - 1}.txt`)], stride))
      // Each block's lines, noted as taken: those one reader of every block finds in it.
      for (const [stream, paths] of [first, [join(work, `f${files - 1}.txt`)]].entries()) {
        const identities = paths.map(path => blockReadable(path) as FileIdentity)
        const lines = [...readLineBlocks(paths.map(lineFile), identities, { index: 0, count: 1, blockBytes })].map(chunk => chunk.length)
        assert.deepEqual(thread.blocksOf(stream), { blockBytes, lines })
      }
    } finally {
      thread.stop()
    }
  }), { numRuns: 6 })
})

// A set that copies a stream's records as they come (RecordRoute.recordsOnly) gets them
// alone, the lines and fingerprints left on the thread: they must be the records the same
// lines sent whole carry, chunk for chunk.
test('a stream whose set takes its records alone gets them without its lines, the records its lines sent whole carry', async () => {
  const recordsOnlyArb = fc.constantFrom('always', 'read-back') as fc.Arbitrary<RecordRoute['recordsOnly']>
  const recordArb = fc.constantFrom('reference', 'candidate') as fc.Arbitrary<RecordRoute['record']>
  await fc.assert(fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.constantFrom(32, 31, 28), recordArb, recordsOnlyArb, async (contents, gzip, threads, blockBytes, shift, record, recordsOnly) => {
    const streams = [contents.map((bytes, i) => lineFile(file(bytes, gzip && i === 0)))]
    const records = async (route: RecordRoute): Promise<Array<{ alone: boolean, length: number, words: number[], starts: number[] }>> => {
      const thread = new LineHashThread(streams, 4, { routes: [route], threads, blockBytes })
      const got = []
      try {
        for await (const batch of thread.batches(0)) {
          assert.ok('routed' in batch && batch.routed !== undefined, 'a routed stream\'s batches carry records')
          got.push({ alone: !('chunk' in batch), length: batch.length, words: [...batch.routed.words], starts: [...batch.routed.starts] })
        }
      } finally {
        thread.stop()
      }
      return got
    }
    const alone = await records({ shift, record, recordsOnly })
    const whole = await records({ shift, record })
    assert.deepEqual(alone.map(({ alone, ...rest }) => rest), whole.map(({ alone, ...rest }) => rest))
    assert.ok(whole.every(batch => !batch.alone))
    // Files read from their start (by one thread, or with a gzipped one among them) are split
    // elsewhere than where their records are laid out: they come whole.
    if (gzip || threads === 1) assert.ok(alone.every(batch => !batch.alone))
    else assert.ok(alone.every(batch => batch.alone || batch.length === 0), 'every block of lines comes as records alone')
  }), { numRuns: 15 })
})

test('a gzipped file among them is read from its start by one thread, with the same lines', async () => {
  const plain = file('a\nb\r\nc\n')
  const zipped = file('d\n\ne\nf', true)
  const thread = new LineHashThread([[lineFile(plain), lineFile(zipped)]], 4, { threads: 3, blockBytes: 2 })
  try {
    assert.deepEqual((await threadLines(thread.batches(0))).map(line => line.key), ['a', 'b', 'c', 'd', 'e', 'f'])
    assert.equal(thread.blocksOf(0), undefined, 'no blocks: the lines of a file read whole cannot be placed by block')
  } finally {
    thread.stop()
  }
})

test('a file that changes while threads read its blocks fails its stream', async () => {
  const path = file(Array.from({ length: 50_000 }, (_, i) => `blobs/${i}`).join('\n') + '\n')
  const thread = new LineHashThread([[lineFile(path)]], 4, { threads: 2, blockBytes: 4096, ahead: 1 })
  try {
    const batches = thread.batches(0)
    await batches.next()
    appendFileSync(path, 'late/key\n')
    await assert.rejects(async () => { for (;;) if ((await batches.next()).done === true) break }, (error: unknown) => {
      assert.ok(error instanceof SourceError)
      assert.match(error.message, /changed while it was read/)
      return true
    })
  } finally {
    thread.stop()
  }
})

test('lines across many read chunks, a line longer than a chunk, and no final newline', async () => {
  const keys = Array.from({ length: 60_000 }, (_, i) => `blobs/${(i * 7919).toString(16)}/${'é'.repeat(i % 5)}${i % 7 === 0 ? '\r' : ''}`)
  const path = file([...keys, 'L'.repeat(2 * 1024 * 1024 + 3), 'last'].join('\n'))
  const thread = new LineHashThread([[lineFile(path)]], 4)
  try {
    const sent = await threadLines(thread.batches(0))
    assert.equal(sent.length, keys.length + 2)
    assert.deepEqual(sent, await localLines([path], 4))
  } finally {
    thread.stop()
  }
})

test('a file that cannot be read fails its own stream, with the reader\'s error, after the streams before it', async () => {
  const present = file('a\nb\n')
  const absent = join(work, 'no-such-file.txt')
  const thread = new LineHashThread([[lineFile(present)], [lineFile(absent)]], 4)
  try {
    assert.deepEqual((await threadLines(thread.batches(0))).map(line => line.key), ['a', 'b'])
    await assert.rejects(threadLines(thread.batches(1)), (error: unknown) => {
      assert.ok(error instanceof SourceError)
      assert.equal(error.code, 'KEYDIFF_SOURCE_NOT_FOUND')
      assert.equal(error.source, `lines:${absent}`)
      assert.match(error.message, /no-such-file\.txt/)
      return true
    })
  } finally {
    thread.stop()
  }
})

test('streams are taken in order, and a stopped thread fails the stream being read', async () => {
  const path = file(Array.from({ length: 200_000 }, (_, i) => `k${i}`).join('\n'))
  const thread = new LineHashThread([[lineFile(path)], [lineFile(path)]], 4)
  await assert.rejects(thread.batches(1).next(), /stream 1 was asked for before stream 0 ended/)
  const batches = thread.batches(0)
  assert.equal((await batches.next()).done, false)
  thread.stop()
  await assert.rejects(async () => { for (;;) if ((await batches.next()).done === true) break }, /stopped/)
})

test('the thread reads no further ahead than its reader allows', async () => {
  const path = file(Array.from({ length: 400_000 }, (_, i) => `blobs/${i}`).join('\n'))
  const thread = new LineHashThread([[lineFile(path)]], 4, { ahead: 2 })
  try {
    const batches = thread.batches(0)
    await batches.next()
    await new Promise(resolve => setTimeout(resolve, 300))
    // One taken, two sent ahead of it: the rest of the file waits in the thread.
    assert.equal((thread as unknown as { threads: Array<{ inbox: { queue: unknown[] } }> }).threads[0]?.inbox.queue.length, 1)
    let lines = 0
    for await (const batch of batches) lines += batch.length
    assert.ok(lines > 300_000)
  } finally {
    thread.stop()
  }
})

const minus = (a: readonly string[], b: readonly string[]): string[] => {
  const drop = new Set(b)
  return [...new Set(a)].filter(key => !drop.has(key)).sort(compareKeys)
}

async function keysOf (options: DiffOptions): Promise<{ orphans: string[], missing: string[], order: string[] }> {
  const orphans: string[] = []
  const missing: string[] = []
  for await (const part of diff(options)) (part.kind === 'orphans' ? orphans : missing).push(...part.entries.map(entry => entry.key))
  return { orphans: [...orphans].sort(compareKeys), missing: missing.sort(compareKeys), order: orphans }
}

const keysArb = fc.array(fc.stringMatching(/^[a-d/é]{1,6}$/), { maxLength: 300 })

test('an exact diff read by the threads equals the Set difference, in input order, in memory and spilled (records routed by the threads), with missing keys', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, keysArb, fc.boolean(), fc.constantFrom(undefined, 0, 5), fc.integer({ min: 1, max: 3 }), fc.constantFrom(1, 2, 8), fc.boolean(), fc.boolean(), async (c, r1, r2, missing, maxInMemory, threads, partitions, gzip, gzipCandidates) => {
    // Plain candidates are read back for the orphans' keys, their records sent alone; gzipped ones keep their keys in the spill.
    const candidates = file(c.join('\n'), gzipCandidates)
    const references = [file(r1.join('\r\n')), file(r2.join('\n'), gzip)]
    const referenceSet = maxInMemory === undefined ? undefined : spillReferenceSet({ tmpdir: work, maxInMemory, partitions })
    const got = await keysOf({ candidates: linesSource(candidates), references: union(...references.map(path => linesSource(path))), missing, readThread: true, threads, ...(referenceSet === undefined ? {} : { referenceSet }) })
    const referenced = [...r1, ...r2]
    assert.deepEqual(got.orphans, minus(c, referenced))
    assert.deepEqual(got.order, [...new Set(c)].filter(key => !referenced.includes(key)))
    assert.deepEqual(got.missing, missing ? minus(referenced, c) : [])
  }), { numRuns: 20 })
})

test('a bloom diff read by the thread reports what it reports without one, and never a referenced key', async () => {
  await fc.assert(fc.asyncProperty(keysArb, keysArb, async (c, r) => {
    const candidates = file(c.join('\n'))
    const references = file(r.join('\n'))
    const options = { candidates: linesSource(candidates), references: linesSource(references), mode: 'bloom' as const, memory: '1MiB' }
    const threaded = await keysOf({ ...options, readThread: true })
    const alone = await keysOf({ ...options, candidates: linesSource(candidates), references: linesSource(references), readThread: false })
    assert.deepEqual(threaded.order, alone.order)
    for (const key of threaded.orphans) assert.ok(!r.includes(key), `referenced key ${JSON.stringify(key)} reported`)
  }), { numRuns: 15 })
})

test('a diff whose reference file is missing fails naming it, and leaves no thread behind', async () => {
  const absent = join(work, 'absent-references.txt')
  await assert.rejects(keysOf({ candidates: linesSource(file('a\n')), references: linesSource(absent), readThread: true }), (error: unknown) => {
    assert.ok(error instanceof SourceError)
    assert.equal(error.code, 'KEYDIFF_SOURCE_NOT_FOUND')
    assert.match(error.message, /absent-references\.txt/)
    return true
  })
})

test('a checked stream: each thread checks its blocks against the sealed filter and sends only the rejected lines, in file order', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fc.array(fileArb, { minLength: 1, maxLength: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), async (references, candidates, threads, blockBytes, blocks) => {
    const first = [file(references)]
    const second = candidates.map(bytes => file(bytes))
    const thread = new LineHashThread([first.map(lineFile), second.map(lineFile)], 2, { threads, blockBytes, ahead: 2, check: 1 })
    try {
      const filter = new SplitBlockBloomFilter(blocks, undefined, thread.count)
      for await (const batch of thread.batches(0)) {
        assert.ok('words' in batch)
        filter.addHashes(batch.words, 2, batch.length)
      }
      thread.startChecks(filter)
      const rejected: string[] = []
      let read = 0
      for await (const batch of thread.batches(1)) {
        assert.ok('rejected' in batch, 'a checked stream sends only what its filter rejects')
        read += batch.length
        rejected.push(...unpackLines(batch.rejected).map(entry => entry.key))
      }
      const local = await localLines(second, 2)
      const answers = new Uint8Array(local.length)
      const plain = new SplitBlockBloomFilter(blocks)
      for (const line of await localLines(first, 2)) plain.addHashes(Uint32Array.from(line.words), 2, 1)
      plain.checkHashes(Uint32Array.from(local.flatMap(line => line.words)), 2, local.length, answers)
      assert.equal(read, local.length)
      assert.deepEqual(rejected, local.filter((_, i) => answers[i] === 0).map(line => line.key))
    } finally {
      thread.stop()
    }
  }), { numRuns: 12 })
})

// Added on the threads, each its own blocks into one filter at once, the lines must leave the
// bits that adding them all on one thread leaves: an atomic OR per word loses none of them.
async function addedOnThreads (paths: string[], blocks: number, options: { threads: number, blockBytes: number }): Promise<{ filter: SplitBlockBloomFilter, read: number }> {
  const thread = new LineHashThread([paths.map(lineFile)], 2, { ...options, ahead: 2, add: 0 })
  try {
    const filter = new SplitBlockBloomFilter(blocks, undefined, thread.count)
    thread.startAdds(filter)
    let read = 0
    for await (const batch of thread.batches(0)) {
      assert.ok('added' in batch, 'an added stream sends only its counts')
      read += batch.length
    }
    assert.throws(() => filter.tookAdds(read, thread.count + 1), new RegExp(`${thread.count} of the filter's ${thread.count + 1} adders have finished`))
    filter.tookAdds(read, thread.count)
    return { filter, read }
  } finally {
    thread.stop()
  }
}

async function addedHere (paths: string[], blocks: number): Promise<SplitBlockBloomFilter> {
  const plain = new SplitBlockBloomFilter(blocks)
  const local = await localLines(paths, 2)
  plain.addHashes(Uint32Array.from(local.flatMap(line => line.words)), 2, local.length)
  return plain
}

test('an added stream: the threads add their blocks to the open filter and send only counts; the bits are those of adding every line here', async () => {
  await fc.assert(fc.asyncProperty(fc.array(fileArb, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), async (contents, threads, blockBytes, blocks) => {
    const paths = contents.map(bytes => file(bytes))
    const { filter, read } = await addedOnThreads(paths, blocks, { threads, blockBytes })
    const plain = await addedHere(paths, blocks)
    assert.equal(read, plain.insertedCount)
    assert.equal(filter.insertedCount, read)
    assert.deepEqual(filter.bitset, plain.bitset)
  }), { numRuns: 12 })
})

test('a partition of the key space: the threads add only its lines, count them, and check only its lines', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 3 }).chain(bits => fc.tuple(fc.constant(bits), fc.integer({ min: 0, max: 2 ** bits - 1 }))), async (references, candidates, threads, blockBytes, blocks, [bits, residue]) => {
    const partition = { bits, residue, expected: undefined }
    const first = [file(references)]
    const second = [file(candidates)]
    const thread = new LineHashThread([first.map(lineFile), second.map(lineFile)], 2, { threads, blockBytes, ahead: 2, add: 0, check: 1, partition })
    const route = new PartitionRoute(partition)
    try {
      const filter = new SplitBlockBloomFilter(blocks, undefined, thread.count)
      thread.startAdds(filter)
      let inPartition = 0
      for await (const batch of thread.batches(0)) inPartition += (batch as AddedLines).inPartition
      filter.tookAdds(inPartition, thread.count)
      thread.startChecks(filter)
      const rejected: string[] = []
      for await (const batch of thread.batches(1)) rejected.push(...unpackLines((batch as CheckedLines).rejected).map(entry => entry.key))
      const plain = new SplitBlockBloomFilter(blocks)
      const referenceLines = await localLines(first, 2)
      assert.equal(inPartition, route.add(plain, Uint32Array.from(referenceLines.flatMap(line => line.words)), 2, referenceLines.length))
      assert.deepEqual(filter.bitset, plain.bitset)
      const local = await localLines(second, 2)
      const here = route.reject(plain, Uint32Array.from(local.flatMap(line => line.words)), 2, local.length)
      assert.deepEqual(rejected, Array.from(here.rejected.subarray(0, here.length), i => (local[i] as Line).key))
    } finally {
      thread.stop()
    }
  }), { numRuns: 12 })
})

test('three threads adding 600k lines at once to a filter of 65536 blocks lose no bit to each other', async () => {
  const lines = Array.from({ length: 600_000 }, (_, i) => `blobs/${(i * 2654435761 >>> 0).toString(16)}/${i}`)
  const paths = [file(lines.slice(0, 300_000).join('\n')), file(lines.slice(300_000).join('\n') + '\n')]
  // Small blocks of the files, so that the threads take turns through both and write the same
  // filter blocks at the same time; a sparse filter, so that a lost bit shows (with plain
  // stores instead of atomic ORs this failed 4 runs in 4, with 4096 blocks 3 in 4).
  const { filter, read } = await addedOnThreads(paths, 65536, { threads: 3, blockBytes: 16 * 1024 })
  const plain = await addedHere(paths, 65536)
  assert.equal(read, 600_000)
  assert.deepEqual(filter.bitset, plain.bitset)
})

test('an added and a checked stream: the threads add the first, and check the second once the filter is sealed', async () => {
  await fc.assert(fc.asyncProperty(fileArb, fileArb, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 4 }), async (references, candidates, threads, blockBytes, blocks) => {
    const first = [file(references)]
    const second = [file(candidates)]
    const thread = new LineHashThread([first.map(lineFile), second.map(lineFile)], 2, { threads, blockBytes, ahead: 2, add: 0, check: 1 })
    try {
      const filter = new SplitBlockBloomFilter(blocks, undefined, thread.count)
      thread.startAdds(filter)
      let added = 0
      for await (const batch of thread.batches(0)) added += batch.length
      filter.tookAdds(added, thread.count)
      thread.startChecks(filter)
      const rejected: string[] = []
      for await (const batch of thread.batches(1)) {
        assert.ok('rejected' in batch)
        rejected.push(...unpackLines(batch.rejected).map(entry => entry.key))
      }
      const plain = await addedHere(first, blocks)
      const local = await localLines(second, 2)
      const answers = new Uint8Array(local.length)
      plain.checkHashes(Uint32Array.from(local.flatMap(line => line.words)), 2, local.length, answers)
      assert.deepEqual(rejected, local.filter((_, i) => answers[i] === 0).map(line => line.key))
    } finally {
      thread.stop()
    }
  }), { numRuns: 12 })
})
