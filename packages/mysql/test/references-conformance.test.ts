import { after, before, test } from 'node:test'
import { type KeyEntry } from '@keydiff/core'
import { keySourceSuite, type KeySourceFixtureOptions } from '@keydiff/core/conformance'
import { mysqlReferences } from '../src/index.ts'
import { insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

// Both a text column (compared by collation, sorted by its UTF-8 bytes) and a VARBINARY
// column holding UTF-8 keys (sorted by the column itself, which an index can serve).
for (const type of ['VARCHAR(1100) COLLATE utf8mb4_unicode_ci', 'VARBINARY(4400)']) {
  for (const sorted of [false, true]) {
    keySourceSuite({
      test,
      name: `mysqlReferences (${type.split('(')[0] as string}${sorted ? ', sorted' : ''})`,
      supports: { sorted, failure: true },
      factory: async (entries: readonly KeyEntry[], options: KeySourceFixtureOptions) => {
        const table = db.table()
        await db.query(`CREATE TABLE ${table} (id INT AUTO_INCREMENT PRIMARY KEY, k ${type} NOT NULL)`)
        await insertKeys(db, table, entries.map(entry => entry.key))
        // A few thousand rows reach the client before any KILL could land, so the suite's
        // mid-stream failure is a row that cannot be mapped; killed connections are tested on
        // a table large enough to be mid-transfer, in references.test.ts.
        let rows = 0
        const failAfter = options.failAfter
        return {
          subject: await mysqlReferences({
            pool: db.pool,
            table,
            column: 'k',
            sorted,
            batchSize: 500,
            binary: 'utf8',
            ...(failAfter === undefined
              ? {}
              : {
                  mapRow: row => {
                    if (++rows > failAfter) throw new Error(`row ${rows} cannot be mapped`)
                    return Buffer.isBuffer(row.k) ? row.k.toString('utf8') : String(row.k)
                  }
                })
          })
        }
      }
    })
  }
}
