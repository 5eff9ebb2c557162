import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, test } from 'node:test'
import { apply, directoryDeleteSink, directorySource, plan } from '@keydiff/core'
import { isCode, whileScanning } from './helpers.ts'
import { targetOf, type OpenTarget } from './target.ts'

/**
 * A whole sweep against a directory store: references from a table, a plan, and apply with
 * the adapter's lock and re-check; rows written while the scan runs keep their objects, and
 * a scan that breaks writes no plan. `open` makes the adapter's target on a database of its own.
 */
export function sweepTests (open: OpenTarget): void {
  const target = targetOf(open)
  let root: string
  before(async () => { root = await mkdtemp(join(tmpdir(), 'keydiff-sql-e2e-')) })
  after(async () => { await rm(root, { recursive: true, force: true }) })

  async function put (key: string, ageMs: number): Promise<void> {
    const path = join(root, 'store', key)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, `object ${key}`)
    const when = new Date(Date.now() - ageMs)
    await utimes(path, when, when)
  }

  test('table of references + directory store → plan → apply: rows written during the run keep their objects', async () => {
    const { factories, client, keyTable, insert } = target()
    const hour = 3600_000
    const live = Array.from({ length: 300 }, (_, i) => `blobs/live/${i}`)
    const orphans = Array.from({ length: 200 }, (_, i) => `blobs/orphan/${i}`)
    for (const key of [...live, ...orphans]) await put(key, 2 * hour)
    const table = await keyTable(live, 'object_key')

    const references = factories.references({ client, ...table.spec, column: 'object_key', batchSize: 50, sorted: true })
    const out = join(root, 'plan.jsonl')
    const summary = await plan({
      candidates: directorySource({ root: join(root, 'store') }),
      references: whileScanning(references, async () => {
        // A new upload and its row, after the snapshot: the fence must keep it out.
        await put('blobs/new/upload', 0)
        await insert(table, ['blobs/new/upload'], 'object_key')
        // An old orphan re-linked by a row after the snapshot: the re-check must keep it.
        await insert(table, ['blobs/orphan/7'], 'object_key')
      }),
      out,
      grace: '10m'
    })
    assert.equal(summary.header.counts.planned, 200, 'every old orphan is planned, the re-linked one too (the snapshot did not see its row)')
    assert.equal(summary.header.referenceScanStartedAt, references.scanStartedAt?.toISOString())

    const result = await apply(out, directoryDeleteSink({ root: join(root, 'store') }), {
      lock: factories.lock({ client, target: `dir:${root}`, ...(table.spec.schema === undefined ? {} : { schema: table.spec.schema }) }),
      recheck: [factories.lookup({ client, ...table.spec, column: 'object_key' })]
    })
    assert.equal(result.done, 199)
    assert.equal(result.dropped, 1)
    assert.equal(result.failed, 0)
    assert.ok(existsSync(join(root, 'store', 'blobs/orphan/7')), 'the re-linked object survives')
    assert.ok(existsSync(join(root, 'store', 'blobs/new/upload')), 'the new upload survives')
    assert.ok(live.every(key => existsSync(join(root, 'store', key))), 'every referenced object survives')
    assert.ok(!existsSync(join(root, 'store', 'blobs/orphan/8')))
  })

  test('a reference scan that breaks mid-stream writes no plan', async () => {
    const { factories, client, numberedTable, killReaders } = target()
    const table = await numberedTable(200_000, 'blobs/x/', 'object_key')
    await put('blobs/orphan-only', 2 * 3600_000)
    const references = factories.references({ client, ...table.spec, column: 'object_key', batchSize: 1000 })
    const out = join(root, 'broken-plan.jsonl')
    await assert.rejects(plan({
      candidates: directorySource({ root: join(root, 'store') }),
      references: whileScanning(references, async () => { assert.equal(await killReaders(table), 1) }),
      out,
      grace: '10m'
    }), isCode('KEYDIFF_SOURCE_FAILED'))
    assert.ok(!existsSync(out), 'no plan file from a partial read')
  })
}
