import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { gzipSync } from 'node:zlib'
import { arraySource, compareKeys, csvSource, jsonLinesSource, linesSource, SourceError, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { keySourceSuite } from '@keydiff/core/conformance'

// Core's own sources are the reference implementations of the key-source contract.

async function scratch (): Promise<{ dir: string, teardown: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'keydiff-conformance-'))
  return { dir, teardown: async () => { await rm(dir, { recursive: true, force: true }) } }
}

/** Fails after `failAfter` keys as a source whose connection drops mid-listing does: with a SourceError naming it. */
function breakAfter (source: KeySource, failAfter: number | undefined): KeySource {
  if (failAfter === undefined) return source
  return keySource(async function * () {
    let seen = 0
    for await (const batch of source) {
      seen += batch.length
      if (seen > failAfter) throw new SourceError(source.name, `connection reset after ${seen} keys`)
      yield batch
    }
  }, { name: source.name, sorted: source.sorted })
}

keySourceSuite({
  test,
  name: 'arraySource',
  supports: { sorted: true, failure: true },
  factory: async (entries, { failAfter }) => ({
    subject: breakAfter(arraySource([...entries].sort((a, b) => compareKeys(a.key, b.key)), { sorted: true, batchSize: 333 }), failAfter)
  })
})

keySourceSuite({
  test,
  name: 'linesSource (gzip)',
  supports: { failure: true },
  factory: async (entries, { failAfter }) => {
    const { dir, teardown } = await scratch()
    const path = join(dir, 'keys.txt.gz')
    await writeFile(path, gzipSync(entries.map(entry => entry.key).join('\n') + '\n'))
    return { subject: breakAfter(linesSource(path), failAfter), teardown }
  }
})

keySourceSuite({
  test,
  name: 'jsonLinesSource',
  factory: async (entries: readonly KeyEntry[]) => {
    const { dir, teardown } = await scratch()
    const path = join(dir, 'keys.jsonl')
    await writeFile(path, entries.map(entry => JSON.stringify({ path: entry.key, bytes: entry.size })).join('\n'))
    return { subject: jsonLinesSource(path, { field: 'path', sizeField: 'bytes' }), teardown }
  }
})

keySourceSuite({
  test,
  name: 'csvSource',
  factory: async (entries: readonly KeyEntry[]) => {
    const { dir, teardown } = await scratch()
    const path = join(dir, 'keys.csv')
    const quote = (value: string): string => `"${value.replaceAll('"', '""')}"`
    await writeFile(path, 'key,size\r\n' + entries.map(entry => `${quote(entry.key)},${entry.size ?? 0}`).join('\r\n'))
    return { subject: csvSource(path, { column: 'key', sizeColumn: 'size', batchSize: 500 }), teardown }
  }
})
