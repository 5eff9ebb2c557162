import assert from 'node:assert/strict'
import { test } from 'node:test'
import { arraySource, compareKeys } from '@keydiff/core'
import { referencesInRange } from '@keydiff/bullmq'
import fc from 'fast-check'
import mysql from 'mysql2/promise'
import pg from 'pg'
import { MAY_RESOLVE_ELSEWHERE } from '@keydiff/core/adapter'
import { columnRange } from '../src/run/column-range.ts'

const CHARACTERS = ['a', 'b', 'A', '0', '/', '.', '%', ':', '\\', '-', ' ', '\n', '\r', '\u2028', 'é', '日']
const text = (maxLength: number): fc.Arbitrary<string> => fc.array(fc.constantFrom(...CHARACTERS), { maxLength }).map(chars => chars.join(''))
const bound = fc.option(text(5), { nil: undefined })

function inRange (key: string, after: string | undefined, upTo: string | undefined): boolean {
  return (after === undefined || compareKeys(key, after) > 0) && (upTo === undefined || compareKeys(key, upTo) <= 0)
}

/** What bullmq's referencesInRange keeps of keys outside an empty range: those that may resolve elsewhere. */
async function keptEverywhere (keys: readonly string[]): Promise<Set<string>> {
  const kept = new Set<string>()
  for await (const batch of referencesInRange(arraySource(keys.map(key => ({ key }))), { after: '\u{10FFFF}', upTo: '\u{10FFFF}' })) {
    for (const entry of batch) kept.add(entry.key)
  }
  return kept
}

test('MAY_RESOLVE_ELSEWHERE matches exactly the keys bullmq\'s referencesInRange keeps in every shard (property)', async () => {
  await fc.assert(fc.asyncProperty(fc.uniqueArray(text(7), { maxLength: 60 }), async keys => {
    const kept = await keptEverywhere(keys)
    const pattern = new RegExp(MAY_RESOLVE_ELSEWHERE)
    for (const key of keys) assert.equal(pattern.test(key), kept.has(key), JSON.stringify(key))
  }), { numRuns: 200 })
})

test('a column range reads every column value whose store key lies in the shard or may resolve elsewhere, through prefix and stripPrefix (property)', () => {
  fc.assert(fc.property(
    text(3), text(3), fc.constantFrom<'error' | 'drop'>('error', 'drop'), bound, bound, fc.array(text(6), { maxLength: 30 }),
    (prefix, stripPrefix, onMismatch, after, upTo, rests) => {
      const range = columnRange({ after, upTo }, { prefix, stripPrefix, onMismatch })
      if (after === undefined && upTo === undefined) {
        assert.equal(range, undefined)
        return
      }
      const odd = new RegExp(MAY_RESOLVE_ELSEWHERE)
      if (range === undefined) {
        assert.ok(odd.test(`${prefix}x`), 'only a prefix that may resolve elsewhere whatever follows it refuses the range')
        return
      }
      const selects = new RegExp(range.alsoMatching)
      for (const rest of rests) {
        const column = stripPrefix + rest
        const key = prefix + rest
        if (inRange(key, after, upTo) || odd.test(key)) {
          assert.ok(inRange(column, range.after, range.upTo) || selects.test(column), `column ${JSON.stringify(column)} (key ${JSON.stringify(key)}) in ${JSON.stringify(range)}`)
        }
      }
    }
  ), { numRuns: 2000 })
})

test('a column range refuses a mapping that mixes orders, and maps the range through the prefixes', () => {
  assert.equal(columnRange({ after: 'a' }, { stripPrefix: 'x/', onMismatch: 'keep' }), undefined)
  assert.equal(columnRange({ after: 'a' }, { prefix: 's3://b/' }), undefined)
  const mapped = columnRange({ after: 'img/a', upTo: 'img/m' }, { prefix: 'img/', stripPrefix: 'https://cdn/' })
  assert.deepEqual({ ...mapped, alsoMatching: undefined }, { after: 'https://cdn/a', upTo: 'https://cdn/m', alsoMatching: undefined })
  // the stripped prefix holds `:` and `//`; only what follows it may make a key resolve elsewhere
  const also = new RegExp(mapped?.alsoMatching ?? '')
  assert.deepEqual(['https://cdn/z/1', 'https://cdn/z%201', 'https://cdn//z', 'https://cdn/./z', 'https://cdn/z/..', 'https://cdn/z\n:'].filter(column => also.test(column)),
    ['https://cdn/z%201', 'https://cdn//z', 'https://cdn/./z', 'https://cdn/z/..', 'https://cdn/z\n:'])
  // the shard lies past every key with the prefix: only what may resolve elsewhere
  // `img/` alone, from an empty column value, ends in `/`: it is read in every shard
  assert.deepEqual(columnRange({ after: 'z', upTo: 'zz' }, { prefix: 'img/' }), { after: '', upTo: '', alsoMatching: `${MAY_RESOLVE_ELSEWHERE}|^$` })
  assert.deepEqual(columnRange({ after: 'a', upTo: 'z' }, { prefix: 'img/' }), { alsoMatching: `${MAY_RESOLVE_ELSEWHERE}|^$` })
})

test('the column patterns match in PostgreSQL and MariaDB as in JavaScript', async () => {
  const patterns = [MAY_RESOLVE_ELSEWHERE, columnRange({ after: 'a' }, { stripPrefix: 'https://cdn/' })?.alsoMatching ?? '', columnRange({ after: 'a' }, { stripPrefix: 'a b.c%' })?.alsoMatching ?? '']
  const columns = ['a/b', 'a%2Fb', 's3://b/k', '/abs', 'a//b', './a', 'a/..', 'a/.b', 'C:\\x', 'https://cdn/a', 'https://cdn//a', 'https://cdn/./a', 'https://cdn/a\n:',
    'https://cdn/a\n/./', 'https://cdn/é/..', 'a b.c%x', 'a b.c%/x', 'a b.c%.', 'a b.c%x%', 'a b.cxx%']
  const postgres = new pg.Pool({ connectionString: process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test', max: 1 })
  const mariadb = mysql.createPool({ uri: process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test', connectionLimit: 1 })
  try {
    for (const pattern of patterns) {
      const js = columns.map(column => new RegExp(pattern).test(column))
      assert.ok(js.some(Boolean) && !js.every(Boolean), pattern)
      const pgMatches = (await postgres.query<{ m: boolean }>('SELECT s COLLATE "C" ~ $1 AS m FROM unnest($2::text[]) WITH ORDINALITY AS u(s, n) ORDER BY n', [pattern, columns])).rows.map(row => row.m)
      assert.deepEqual(pgMatches, js, `PostgreSQL ${pattern}`)
      for (const [i, column] of columns.entries()) {
        const [rows] = await mariadb.query('SELECT CAST(CONVERT(? USING utf8mb4) AS BINARY) REGEXP ? AS m', [column, pattern]) as unknown as [Array<{ m: number }>]
        assert.equal(rows[0]?.m === 1, js[i], `MariaDB ${pattern} on ${JSON.stringify(column)}`)
      }
    }
  } finally {
    await postgres.end()
    await mariadb.end()
  }
})
