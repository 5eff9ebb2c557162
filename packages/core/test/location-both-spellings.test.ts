import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { directorySource, plan } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { writeEntries } from './store-fixture.ts'
import { OLD, planKeys } from './sweep-helpers.ts'

let dir = ''
before(async () => { dir = await mkdtemp(join(tmpdir(), 'keydiff-both-spellings-')) })
after(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }) })

// Delta's log writes relative paths percent-encoded. A run that was not told so (decode
// 'auto') still keeps the live file: a bare key with an escape counts in both spellings.
test('a percent-encoded bare reference keeps the decoded file too, unless told the references are raw', async () => {
  const root = join(dir, 'table')
  await writeEntries(root, ['abc def/#1/file1.txt', 'file2.txt', 'orphan.txt', '100%/x'].map(key => ({ key, lastModified: OLD })))
  const references = () => keySource([[{ key: 'abc%20def/%231/file1.txt' }, { key: 'file2.txt' }, { key: '100%/x' }]], { name: 'delta log' })
  const summary = await plan({ candidates: directorySource({ root }), references: references(), store: root, out: join(dir, 'auto.jsonl'), maxOrphanShare: 1 })
  assert.deepEqual(await planKeys(summary.path), ['orphan.txt'])
  assert.equal(summary.header.counts.references, 3, 'rows read, each once')
  assert.equal(summary.header.counts.bothSpellings, 1, '100%/x does not decode, so it is taken as written only')
  assert.equal(summary.header.guards?.missingShare, 0, 'the spelling that names nothing is not a missing reference')

  await assert.rejects(plan({ candidates: directorySource({ root }), references: references(), store: root, decodeReferences: 'uri', out: join(dir, 'uri.jsonl'), maxOrphanShare: 1 }),
    { code: 'KEYDIFF_PARSE_ERROR' }, "decode 'uri' takes every reference as encoded, and 100%/x is not")
})

test('on an object store a bare encoded key keeps both objects it may name', async () => {
  const candidates = keySource([['a b', 'a%20b', 'c'].map(key => ({ key, size: 1, lastModified: OLD }))], { name: 's3://bucket/' })
  const summary = await plan({ candidates, references: keySource([[{ key: 'a%20b' }]], { name: 'refs' }), store: 's3://bucket/', out: join(dir, 's3.jsonl'), maxOrphanShare: 1 })
  assert.deepEqual(await planKeys(summary.path), ['c'])
})
