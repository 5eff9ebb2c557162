import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { MongoClient, ObjectId } from 'mongodb'
import { compareKeys, InvalidOptionError, type KeySource } from '@keydiff/core'
import fc from 'fast-check'
import { mongoReferences } from '../src/index.ts'
import { startTestServer, type TestServer } from './helpers/stand-in.ts'

let server: TestServer
let client: MongoClient

before(async () => {
  server = await startTestServer()
  client = await server.client()
})
after(async () => { await server.stop() })

async function keys (source: KeySource): Promise<string[]> {
  const out: string[] = []
  for await (const batch of source) for (const entry of batch) out.push(entry.key)
  return out.sort()
}

function inRange (key: string, after: string | undefined, upTo: string | undefined): boolean {
  return (after === undefined || compareKeys(key, after) > 0) && (upTo === undefined || compareKeys(key, upTo) <= 0)
}

// Both cases, separators, and characters of 2 and 3 UTF-8 bytes: where byte order and a collation's order part.
// No character above U+FFFF: the stand-in compares strings as UTF-16, which puts them before
// U+E000–U+FFFF, where MongoDB's simple collation (bytes) puts them after.
const CHARACTERS = ['a', 'b', 'A', 'B', 'z', '0', '9', '/', '%', ':', '.', '-', ' ', 'é', 'É', 'ß', '日', 'ｱ']
const keyArbitrary = fc.array(fc.constantFrom(...CHARACTERS), { minLength: 1, maxLength: 6 }).map(chars => chars.join(''))
const boundArbitrary = fc.option(keyArbitrary, { nil: undefined })

test('a range reads exactly the keys a byte-order filter of the whole collection keeps (property)', async () => {
  const coll = client.db('kd_range').collection('refs')
  await fc.assert(fc.asyncProperty(
    fc.uniqueArray(keyArbitrary, { minLength: 0, maxLength: 40 }),
    fc.array(fc.tuple(boundArbitrary, boundArbitrary), { minLength: 1, maxLength: 4 }),
    async (stored, ranges) => {
      await coll.deleteMany({})
      if (stored.length > 0) await coll.insertMany(stored.map(k => ({ k })))
      for (const [after, upTo] of [...ranges, [stored[0], stored[stored.length - 1]] as [string | undefined, string | undefined]]) {
        const expected = stored.filter(key => inRange(key, after, upTo)).sort()
        for (const sorted of [false, true]) {
          assert.deepEqual(await keys(mongoReferences({ client, database: 'kd_range', collection: 'refs', field: 'k', sorted, range: { after, upTo } })), expected, `(${String(after)}, ${String(upTo)}] sorted ${String(sorted)}`)
        }
      }
    }
  ), { numRuns: 30 })
  await client.db('kd_range').dropDatabase()
})

test('a range keeps exactly its keys from ObjectIds, numbers and arrays, adds what alsoMatching matches, and is refused beside a template', async () => {
  const id = new ObjectId('65a000000000000000000001')
  const coll = client.db('kd_range_kinds').collection('refs')
  await coll.insertMany([
    { k: 'b/1' }, { k: 'd/1' }, { k: id }, { k: 42 }, { k: ['b/2', 'z/9'] },
    { attachments: [{ k: 'b/3' }, { k: 7 }] }, { k: 's3://bucket/z' }, { k: 'a%2F1' }, { k: 'c//x' }
  ])
  const read = async (range: { after?: string, upTo?: string, alsoMatching?: string }, field = 'k'): Promise<string[]> =>
    await keys(mongoReferences({ client, database: 'kd_range_kinds', collection: 'refs', field, filter: { k: { $ne: 'd/1' } }, range }))
  assert.deepEqual(await read({ after: '4', upTo: 'b/2' }), ['42', '65a000000000000000000001', 'a%2F1', 'b/1', 'b/2'])
  assert.deepEqual(await read({ after: '0', upTo: '8' }, 'attachments.k'), ['7'])
  assert.deepEqual(await read({ after: 'b', upTo: 'b/9', alsoMatching: '[%:\\\\]|^/|//|(^|/)\\.\\.?(/|$)' }), ['a%2F1', 'b/1', 'b/2', 'c//x', 's3://bucket/z'])
  assert.throws(() => mongoReferences({ client, database: 'kd_range_kinds', collection: 'refs', template: '{k}-{j}', range: { after: 'a' } }),
    (error: unknown) => error instanceof InvalidOptionError && error.option === 'range')
  await client.db('kd_range_kinds').dropDatabase()
})
