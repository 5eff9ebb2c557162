import type { OpenTarget, SqlTestTarget, TestOptions } from '@keydiff/sql-kit/testing'
import {
  postgresLock, postgresLookup, postgresReferences, postgresReferencesUnion, postgresTombstones,
  type PostgresLockOptions, type PostgresLookupOptions, type PostgresReferencesOptions, type PostgresReferencesUnionOptions, type PostgresTombstonesOptions
} from '../src/index.ts'
import { insertKeys, openDatabase, type TestDatabase } from './helpers.ts'

/** A test database of its own, as @keydiff/sql-kit's shared tests drive it. */
export const openTarget: OpenTarget = async () => {
  const db = await openDatabase()
  return { target: sqlTarget(db), close: async () => { await db.close() } }
}

function sqlTarget (db: TestDatabase): SqlTestTarget {
  const table = (name: string): { spec: { table: string, schema: string }, sql: string } => ({ spec: { table: name, schema: db.schema }, sql: `${db.schema}.${name}` })
  return {
    adapter: '@keydiff/postgres',
    factories: {
      references: (options: TestOptions) => postgresReferences(options as unknown as PostgresReferencesOptions),
      referencesUnion: (options: TestOptions) => postgresReferencesUnion(options as unknown as PostgresReferencesUnionOptions),
      lookup: (options: TestOptions) => postgresLookup(options as unknown as PostgresLookupOptions),
      lock: (options: TestOptions) => postgresLock(options as unknown as PostgresLockOptions),
      tombstones: (options: TestOptions) => postgresTombstones(options as unknown as PostgresTombstonesOptions)
    },
    client: db.pool,
    scanVariants: [{ strategy: 'cursor' }, { strategy: 'copy' }],
    async keyTable (keys, column = 'k') {
      const made = table(db.table().name)
      await db.pool.query(`CREATE TABLE ${made.sql} (${column} text)`)
      await insertKeys(db.pool, made.sql, keys, column)
      return made
    },
    async numberedTable (rows, prefix, column = 'k') {
      const made = table(db.table().name)
      await db.pool.query(`CREATE TABLE ${made.sql} AS SELECT '${prefix}' || g AS ${column} FROM generate_series(1, ${rows}) g`)
      return made
    },
    insert: async (made, keys, column = 'k') => { await insertKeys(db.pool, made.sql, keys, column) },
    truncate: async made => { await db.pool.query(`TRUNCATE ${made.sql}`) },
    // An idle session whose last query named the table (the plan's, back in the pool) is no reader.
    async killReaders (made) {
      const result = await db.pool.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND strpos(query, '${made.spec.table}') > 0 AND state <> 'idle'`)
      return result.rowCount ?? 0
    }
  }
}
