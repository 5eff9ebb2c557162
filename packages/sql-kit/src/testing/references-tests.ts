import assert from 'node:assert/strict'
import { test } from 'node:test'
import { InvalidOptionError } from '@keydiff/core'
import fc from 'fast-check'
import { collect, isCode, keysOf, orphansOf, setOrphans } from './helpers.ts'
import { targetOf, type OpenTarget } from './target.ts'

/**
 * What every SQL reference source does alike: made without I/O and checked at once, planned
 * on first read (or when awaited), read in one snapshot, failed by a session that dies, read
 * by the engine from its bytes, and joined with others in one snapshot.
 */
export function referencesTests (open: OpenTarget): void {
  const target = targetOf(open)
  test('the factories check their options at once: a missing client is a TypeError naming adapter and option, a wrong one an InvalidOptionError', () => {
    const { adapter, factories, client } = target()
    // The lock is left out: locks with leases are another change.
    const { lock: _lock, ...checked } = factories
    const valid = { table: 't', column: 'k', runId: 'r', parts: [{ table: 't', column: 'k' }] }
    for (const [factory, make] of Object.entries(checked)) {
      assert.throws(() => make(valid), (error: unknown) => {
        assert.ok(error instanceof TypeError, String(error))
        assert.match(error.message, new RegExp(`^${adapter} \\w+: option client is required$`), factory)
        return true
      })
      assert.throws(() => make({ ...valid, client: {} }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'client', factory)
      assert.throws(() => make(null as unknown as Record<string, unknown>), TypeError, factory)
    }
    assert.throws(() => factories.references({ client, table: 't' }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'column')
    assert.throws(() => factories.references({ client, query: 'SELECT 1', table: 't' }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'query')
    assert.throws(() => factories.references({ client, table: 't', column: 'k', batchSize: 0 }), (error: unknown) => error instanceof InvalidOptionError && error.option === 'batchSize')
  })

  test('a source is made without I/O; a wrong column or table fails on first read, or when awaited, naming it', async () => {
    const { factories, client, keyTable } = target()
    const table = await keyTable(['a'])
    const typo = factories.references({ client, ...table.spec, column: 'path' })
    await assert.rejects(collect(typo), isCode('KEYDIFF_INVALID_OPTION'))
    await assert.rejects(async () => await typo, (error: unknown) => isCode('KEYDIFF_INVALID_OPTION')(error) && /path/.test((error as Error).message))
    await assert.rejects(collect(factories.references({ client, query: `SELECT k AS key1 FROM ${table.sql}`, column: 'path' })), isCode('KEYDIFF_INVALID_OPTION'))
    await assert.rejects(collect(factories.references({ client, ...table.spec, table: 'no_such_table', column: 'k' })), isCode('KEYDIFF_INVALID_OPTION'))
  })

  test('awaiting a source plans it: the estimate is known before reading, and the caller\'s estimate wins', async () => {
    const { factories, client, keyTable } = target()
    const table = await keyTable(Array.from({ length: 500 }, (_, i) => `e/${i}`))
    const lazy = factories.references({ client, ...table.spec, column: 'k' })
    assert.equal(lazy.estimatedCount, undefined, 'nothing asked yet')
    const planned = await lazy
    assert.equal(typeof planned.estimatedCount, 'number')
    assert.equal(lazy.estimatedCount, planned.estimatedCount, 'the same source, planned')
    assert.equal(typeof (planned as { then?: unknown }).then, 'undefined', 'what await gives is not awaitable again')
    assert.equal((await keysOf(planned)).length, 500)
    assert.equal(factories.references({ client, ...table.spec, column: 'k', estimatedCount: 7 }).estimatedCount, 7)
    // `pool`, the option's old name, still works for one release.
    assert.equal((await keysOf(factories.references({ pool: client, ...table.spec, column: 'k' }))).length, 500)
  })

  test('the scan reads one snapshot: rows committed during the scan are not seen, and scanStartedAt is set', async () => {
    const { factories, client, keyTable, insert } = target()
    const table = await keyTable(Array.from({ length: 5000 }, (_, i) => `old/${i}`))
    const source = factories.references({ client, ...table.spec, column: 'k', batchSize: 100 })
    const keys: string[] = []
    for await (const batch of source) {
      if (keys.length === 0) await insert(table, ['new/after-snapshot'])
      keys.push(...batch.map(entry => entry.key))
    }
    assert.equal(keys.length, 5000)
    assert.ok(!keys.includes('new/after-snapshot'))
    assert.ok(source.scanStartedAt instanceof Date && Math.abs(source.scanStartedAt.getTime() - Date.now()) < 60_000)
  })

  test('a session ended mid-stream fails the iteration', async () => {
    const { factories, client, numberedTable, killReaders, scanVariants } = target()
    // Keys of 50 bytes: 15 MB, more than a socket and the reader's queue hold, so the end is still to come.
    const table = await numberedTable(300_000, `blobs/${'x'.repeat(40)}/`)
    for (const variant of scanVariants) {
      const source = factories.references({ client, ...table.spec, column: 'k', batchSize: 1000, ...variant })
      let seen = 0
      await assert.rejects(async () => {
        for await (const batch of source) {
          if (seen === 0) assert.equal(await killReaders(table), 1)
          seen += batch.length
        }
      }, isCode('KEYDIFF_SOURCE_FAILED'))
      assert.ok(seen < 300_000, `saw ${seen} keys`)
    }
  })

  test('any keys, any split into socket reads: the engine reads the source\'s bytes and finds the orphans a Set finds', async () => {
    const { factories, client, keyTable, truncate, insert } = target()
    const table = await keyTable([])
    const key = fc.string({ unit: fc.constantFrom('a', 'b', '/', '\\', '\t', '\n', 'é', '🙂', 'N', '.'), maxLength: 200, size: 'max' })
    await fc.assert(fc.asyncProperty(fc.array(key, { maxLength: 400, size: 'max' }), fc.array(key, { maxLength: 200, size: 'max' }), async (references, extra) => {
      await truncate(table)
      await insert(table, references)
      const candidates = [...references.slice(0, references.length >> 1), ...extra]
      const { orphans, byteReads } = await orphansOf(factories.references({ client, ...table.spec, column: 'k' }), candidates)
      assert.equal(byteReads, 1)
      assert.deepEqual(orphans, setOrphans(candidates, references))
    }), { numRuns: 25 })
  })

  test('a union reads every part in one snapshot: rows committed during its scan are not seen', async () => {
    const { factories, client, keyTable, insert } = target()
    const a = await keyTable(['a/1', 'c/3', 'e/5'], 'hash')
    const b = await keyTable(['b/2', 'd/4', 'c/3'], 'hash')
    const source = factories.referencesUnion({ client, batchSize: 1, parts: [a, b].map(table => ({ ...table.spec, column: 'hash' })) })
    assert.equal(source.estimatedCount, undefined, 'nothing asked yet')
    const keys: string[] = []
    for await (const batch of source) {
      if (keys.length === 0) await insert(b, ['a/0-late'], 'hash')
      keys.push(...batch.map(entry => entry.key))
    }
    assert.deepEqual(keys.sort(), ['a/1', 'b/2', 'c/3', 'c/3', 'd/4', 'e/5'])
    assert.ok(source.scanStartedAt instanceof Date)
    assert.equal(typeof (await source).estimatedCount, 'number', 'awaiting the union plans every part')
  })
}
