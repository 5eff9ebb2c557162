import { after, before, test } from 'node:test'
import { type KeyEntry } from '@keydiff/core'
import { keySourceSuite, type KeySourceFixtureOptions } from '@keydiff/core/conformance'
import { postgresReferences, type PostgresStrategy } from '../src/index.ts'
import { insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

let db: TestDatabase
before(async () => { db = await openDatabase() })
after(async () => { await db.close() })

for (const strategy of ['cursor', 'copy'] as PostgresStrategy[]) {
  for (const sorted of [false, true]) {
    keySourceSuite({
      test,
      name: `postgresReferences (${strategy}${sorted ? ', sorted' : ''})`,
      // COPY delivers a few thousand keys in one chunk, before any kill could land: its mid-stream failure is tested on a large table in references.test.ts.
      supports: { sorted, failure: strategy === 'cursor' },
      factory: async (entries: readonly KeyEntry[], options: KeySourceFixtureOptions) => {
        const table = db.table()
        await db.pool.query(`CREATE TABLE ${table.qualified} (id serial PRIMARY KEY, key text NOT NULL)`)
        await insertKeys(db.pool, table.qualified, entries.map(entry => entry.key))
        const source = await postgresReferences({ client: db.pool, schema: db.schema, table: table.name, column: 'key', sorted, strategy, batchSize: 500 })
        if (options.failAfter === undefined) return { subject: source }
        // Breaks the scan the way a server restart does: its backend is terminated mid-stream.
        const failAfter = options.failAfter
        return {
          subject: {
            ...source,
            async * [Symbol.asyncIterator] () {
              let seen = 0
              let killed = false
              for await (const batch of source) {
                yield batch
                seen += batch.length
                if (!killed && seen >= failAfter) {
                  killed = true
                  await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND strpos(query, '${table.name}') > 0 AND state <> 'idle'`)
                }
              }
            }
          }
        }
      }
    })
  }
}
