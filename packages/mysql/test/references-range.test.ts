import assert from 'node:assert/strict'
import { test } from 'node:test'
import { rangeTests } from '@keydiff/sql-kit/testing'
import { mysqlReferences } from '../src/index.ts'
import { openTarget } from './sql-target.ts'

rangeTests(openTarget)

test('a range on an integer or binary key column compares the rendered keys in byte order', async () => {
  const opened = await openTarget()
  try {
    const { client } = opened.target
    const pool = client as { promise: () => { query: (sql: string) => Promise<unknown> } }
    await pool.promise().query('CREATE TABLE range_kinds (n BIGINT, b VARBINARY(8))')
    await pool.promise().query("INSERT INTO range_kinds VALUES (9, x'00ff'), (10, x'0a'), (100, x'ff'), (-5, x'7f10'), (2, x'c3a9')")
    const keys = async (column: string, binary: string, after: string | undefined, upTo: string | undefined): Promise<string[]> => {
      const out: string[] = []
      for await (const batch of mysqlReferences({ client: client as never, table: 'range_kinds', column, binary: binary as 'hex', range: { after, upTo } })) out.push(...batch.map(entry => entry.key))
      return out.sort()
    }
    // decimal text in byte order: '-5' < '10' < '100' < '2' < '9'
    assert.deepEqual(await keys('n', 'hex', '10', '9'), ['100', '2', '9'])
    assert.deepEqual(await keys('b', 'hex', '0a', 'c3a9'), ['7f10', 'c3a9'])
    assert.deepEqual(await keys('b', 'base64', 'AP8=', 'fxA='), ['Cg==', 'fxA='])
    // x'00ff' and x'ff' are no UTF-8: outside the range, they are never read
  assert.deepEqual(await keys('b', 'utf8', '\n', 'é'), ['\u007f\u0010', 'é'])
  } finally {
    await opened.close()
  }
})
