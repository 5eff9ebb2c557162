import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { arraySource, directorySource, formatPlanSummary, InvalidOptionError, InvalidReferenceError, plan, PrefixMismatchError, type PlanOptions } from '@keydiff/core'
import { tempDirectory, writeEntries } from './store-fixture.ts'
import { OLD, planKeys } from './sweep-helpers.ts'

let dir: { path: string, remove: () => Promise<void> }
before(async () => { dir = await tempDirectory('location') })
after(async () => { await dir.remove() })

let counter = 0
async function store (keys: readonly string[]): Promise<string> {
  const root = join(dir.path, `store-${++counter}`)
  await writeEntries(root, keys.map(key => ({ key, size: 3, lastModified: OLD })))
  return root
}
const out = (): string => join(dir.path, `plan-${++counter}.jsonl`)

test('a directory store: live files referenced as file:// URIs, absolute paths, URI-encoded paths and // or ./ paths are not planned', async () => {
  const live = ['live/a b.txt', 'live/#1/f.txt', 'live/abc def/%231/file1.txt', 'live/x.parquet', 'live/y.parquet', 'live/z.parquet', 'live/w.parquet', 'live/v.parquet']
  const root = await store([...live, 'old/o1.parquet', 'old/o2.parquet'])
  const spelled = arraySource([
    `file://${root}/live/a%20b.txt`,
    `${root}/live/x.parquet`,
    'live//y.parquet',
    './live/z.parquet',
    `file:${root}/live/w.parquet`,
    `${root}//live/./v.parquet`,
    'live/abc def/%231/file1.txt'
  ], { name: 'spellings' })
  // a Delta log writes its relative paths URI-encoded
  const delta = arraySource(['live/%231/f.txt'], { name: '_delta_log' })
  const path = out()
  const summary = await plan({ candidates: directorySource({ root }), references: [spelled, delta], store: root, decodeReferences: ['auto', 'uri'], out: path })
  assert.deepEqual(await planKeys(path), ['old/o1.parquet', 'old/o2.parquet'])
  assert.equal(summary.header.store, `file://${root}`)
  assert.equal(summary.header.counts.planned, 2)
  assert.equal(summary.header.counts.references, 8)
  assert.equal(summary.header.counts.foreignReferences, 0)
  assert.equal(summary.header.counts.conflicts, 0)
})

test('a directory store: a reference to another store whose path names a file here is a conflict', async () => {
  const root = await store(['t/a.parquet', 't/b.parquet', 't/c.parquet', 't/d.parquet'])
  const references = [`file://${root}/t/a.parquet`, 't/b.parquet', `s3a://warehouse${root}/t/c.parquet`, '/elsewhere/t/d.parquet']
  const path = out()
  await assert.rejects(plan({ candidates: directorySource({ root }), references: arraySource(references), store: `file://${root}`, out: path }), (error: unknown) => {
    assert.ok(error instanceof PrefixMismatchError)
    assert.equal(error.code, 'KEYDIFF_PREFIX_MISMATCH')
    assert.equal(error.count, 1)
    assert.deepEqual(error.examples, [{ key: 't/c.parquet', reference: `s3a://warehouse${root}/t/c.parquet` }])
    assert.match(error.message, /prefixMismatch = "ignore"/)
    return true
  })
  assert.equal(existsSync(path), false, 'no plan is written')
  const kept = await plan({ candidates: directorySource({ root }), references: arraySource(references), store: `file://${root}`, prefixMismatch: 'ignore', out: path })
  assert.deepEqual(await planKeys(path), ['t/d.parquet'], 'a file outside the root is foreign but names nothing here')
  assert.equal(kept.header.counts.foreignReferences, 2)
  assert.equal(kept.header.counts.conflicts, 1)
})

test('.. in a reference fails the plan, naming the reference and its source', async () => {
  const root = await store(['a/k', 'b/k'])
  const path = out()
  await assert.rejects(plan({ candidates: directorySource({ root }), references: arraySource(['a/k', 'b/../a/k'], { name: 'refs.txt' }), store: root, out: path }), (error: unknown) => {
    assert.ok(error instanceof InvalidReferenceError)
    assert.equal(error.code, 'KEYDIFF_PARSE_ERROR')
    assert.equal(error.source, 'refs.txt')
    assert.equal(error.reference, 'b/../a/k')
    return true
  })
  assert.equal(existsSync(path), false)
})

// An object store's listing: full object keys under the store's prefix.
const listing = (): ReturnType<typeof arraySource> => arraySource(['data/a', 'data/a//b', 'data/c', 'data/d', 'data/e', 'data/f'].map(key => ({ key, size: 5, lastModified: OLD })), { name: 's3://bucket/data/', sorted: true })
const s3References = ['s3a://bucket/data/a', 's3n://bucket/data/a//b', 's3://other/data/c', 'data/d', 's3://bucket/data/f']
const s3Plan = (options: Partial<PlanOptions> = {}): Promise<Awaited<ReturnType<typeof plan>>> => plan({ candidates: listing(), references: arraySource(s3References), store: 's3://bucket/data/', ...options, out: options.out ?? out() })

test('an object store: s3a and s3n name s3 objects, a//b is its own key; another bucket with the same path is refused by default', async () => {
  const path = out()
  await assert.rejects(s3Plan({ out: path }), (error: unknown) => {
    assert.ok(error instanceof PrefixMismatchError)
    assert.equal(error.code, 'KEYDIFF_PREFIX_MISMATCH')
    assert.deepEqual(error.examples, [{ key: 'data/c', reference: 's3://other/data/c' }])
    assert.match(error.message, /1 unreferenced object of s3:\/\/bucket\/data\//)
    assert.match(error.message, /equalSchemes or equalAuthorities/)
    assert.match(error.message, /prefixMismatch = "delete"/)
    return true
  })
  assert.equal(existsSync(path), false)
})

test('an object store: prefixMismatch ignore keeps the conflicting object, delete plans it, equalAuthorities makes it this store', async () => {
  const ignorePath = out()
  const ignored = await s3Plan({ prefixMismatch: 'ignore', out: ignorePath })
  assert.deepEqual(await planKeys(ignorePath), ['data/e'])
  assert.equal(ignored.header.counts.conflicts, 1)
  assert.equal(ignored.header.counts.foreignReferences, 1)
  assert.match(formatPlanSummary(ignored), /1 references name other stores than s3:\/\/bucket\/data\//)
  assert.match(formatPlanSummary(ignored), /1 unreferenced objects named by references to other stores, kept/)

  const deletePath = out()
  const deleted = await s3Plan({ prefixMismatch: 'delete', out: deletePath })
  assert.deepEqual(await planKeys(deletePath), ['data/c', 'data/e'])
  assert.equal(deleted.header.counts.foreignReferences, 1)
  assert.equal(deleted.header.counts.conflicts, undefined, 'delete keeps no conflict keys to count')

  const samePath = out()
  const same = await s3Plan({ equalAuthorities: { other: 'bucket' }, out: samePath })
  assert.deepEqual(await planKeys(samePath), ['data/e'])
  assert.equal(same.header.counts.foreignReferences, 0)
  assert.equal(same.header.counts.conflicts, 0)
})

test('a reference without an authority keeps the object of its path in every prefixMismatch mode, delete too (Iceberg keeps it)', async () => {
  for (const prefixMismatch of ['error', 'ignore', 'delete'] as const) {
    const path = out()
    const summary = await plan({ candidates: listing(), references: arraySource([...s3References.filter(reference => !reference.includes('other')), 's3:///data/c']), store: 's3://bucket/data/', prefixMismatch, out: path })
    assert.deepEqual(await planKeys(path), ['data/e'], prefixMismatch)
    assert.equal(summary.header.counts.foreignReferences, 0, prefixMismatch)
  }
})

test('an object too young to plan is no conflict: only what would be planned is checked', async () => {
  const young = new Date(Date.now() - 60_000)
  const candidates = arraySource([{ key: 'data/a', size: 1, lastModified: OLD }, { key: 'data/b', size: 1, lastModified: young }, { key: 'data/c', size: 1, lastModified: OLD }])
  const path = out()
  const summary = await plan({ candidates, references: arraySource(['s3://bucket/data/a', 's3://other/data/b']), store: 's3://bucket/data/', out: path })
  assert.deepEqual(await planKeys(path), ['data/c'])
  assert.equal(summary.header.counts.tooYoung, 1)
  assert.equal(summary.header.counts.conflicts, 0)
})

test('plan options of resolution are checked', async () => {
  await assert.rejects(s3Plan({ prefixMismatch: 'maybe' as 'error' }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'prefixMismatch')
  await assert.rejects(s3Plan({ decodeReferences: ['uri', 'auto'] }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'decodeReferences')
  await assert.rejects(s3Plan({ decodeReferences: 'url' as 'uri' }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'decodeReferences')
  await assert.rejects(s3Plan({ equalSchemes: { s3a: 3 } as unknown as Record<string, string> }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'equalSchemes')
})

test('without a store, references are compared as written and the header has no resolution counts', async () => {
  const path = out()
  const summary = await plan({ candidates: listing(), references: arraySource(['data/a', 'data/a//b', 'data/c', 'data/d', 'data/f']), out: path })
  assert.deepEqual(await planKeys(path), ['data/e'])
  assert.equal(summary.header.counts.foreignReferences, undefined)
  assert.equal(summary.header.counts.conflicts, undefined)
})
