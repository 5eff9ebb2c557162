import type { OpenTarget, SqlTestTarget, TestOptions } from '@keydiff/sql-kit/testing'
import {
  mysqlLock, mysqlLookup, mysqlReferences, mysqlReferencesUnion, mysqlTombstones,
  type MysqlLockOptions, type MysqlLookupOptions, type MysqlReferencesOptions, type MysqlReferencesUnionOptions, type MysqlTombstonesOptions
} from '../src/index.ts'
import { insertKeys, openDatabase, killQueryOn, numbersSql, type TestDatabase } from './helpers.ts'

/** A test database of its own, as @keydiff/sql-kit's shared tests drive it. */
export const openTarget: OpenTarget = async () => {
  const db = await openDatabase()
  return { target: sqlTarget(db), close: async () => { await db.close() } }
}

function sqlTarget (db: TestDatabase): SqlTestTarget {
  const table = (name: string): { spec: { table: string }, sql: string } => ({ spec: { table: name }, sql: name })
  return {
    adapter: '@keydiff/mysql',
    factories: {
      references: (options: TestOptions) => mysqlReferences(options as unknown as MysqlReferencesOptions),
      referencesUnion: (options: TestOptions) => mysqlReferencesUnion(options as unknown as MysqlReferencesUnionOptions),
      lookup: (options: TestOptions) => mysqlLookup(options as unknown as MysqlLookupOptions),
      lock: (options: TestOptions) => mysqlLock(options as unknown as MysqlLockOptions),
      tombstones: (options: TestOptions) => mysqlTombstones(options as unknown as MysqlTombstonesOptions)
    },
    client: db.pool,
    scanVariants: [{ sorted: false }, { sorted: true }],
    async keyTable (keys, column = 'k') {
      const made = table(db.table())
      // Compared byte for byte, as keys are: utf8mb4_bin, no PAD SPACE.
      await db.query(`CREATE TABLE ${made.sql} (${column} TEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin) ENGINE=InnoDB`)
      await insertKeys(db, made.sql, keys, column)
      return made
    },
    async numberedTable (rows, prefix, column = 'k') {
      const made = table(db.table())
      await db.query(`CREATE TABLE ${made.sql} ENGINE=InnoDB AS SELECT CONCAT(?, n) AS ${column} FROM (${numbersSql(rows)}) AS s`, [prefix])
      return made
    },
    insert: async (made, keys, column = 'k') => { await insertKeys(db, made.sql, keys, column) },
    truncate: async made => { await db.query(`TRUNCATE ${made.sql}`) },
    killReaders: async made => await killQueryOn(db, made.sql)
  }
}
