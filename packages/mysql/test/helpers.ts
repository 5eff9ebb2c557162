import { randomBytes } from 'node:crypto'
import mysql from 'mysql2'

export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

export interface TestDatabase {
  pool: mysql.Pool
  database: string
  query: <T = unknown>(sql: string, values?: unknown[]) => Promise<T>
  table: (prefix?: string) => string
  close: () => Promise<void>
}

function hidePassword (url: string): string {
  return url.replace(/:[^:@/]*@/, ':***@')
}

/** A fresh database on the server of MYSQL_URL, with a pool on it; dropped by close(). */
export async function openDatabase (poolOptions: mysql.PoolOptions = {}): Promise<TestDatabase> {
  const database = `keydiff_test_${randomBytes(5).toString('hex')}`
  const admin = mysql.createPool({ uri: MYSQL_URL, connectionLimit: 2, multipleStatements: true })
  const adminQuery = async <T>(sql: string, values: unknown[] = []): Promise<T> => await new Promise<T>((resolve, reject) => {
    admin.query(sql, values, (error, result) => { if (error !== null) reject(error); else resolve(result as T) })
  })
  try {
    await adminQuery(`CREATE DATABASE ${database} CHARACTER SET utf8mb4`)
  } catch (error) {
    await new Promise<void>(resolve => { admin.end(() => resolve()) })
    throw new Error(`MySQL/MariaDB is not reachable at ${hidePassword(MYSQL_URL)}: ${(error as Error).message}. Start it, or set MYSQL_URL to a server the tests may create databases on.`, { cause: error })
  }
  const url = new URL(MYSQL_URL)
  url.pathname = `/${database}`
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 8, multipleStatements: true, ...poolOptions })
  let n = 0
  return {
    pool,
    database,
    query: async <T>(sql: string, values: unknown[] = []) => await new Promise<T>((resolve, reject) => {
      pool.query(sql, values, (error, result) => { if (error !== null) reject(error); else resolve(result as T) })
    }),
    table: (prefix = 't') => `${prefix}_${++n}`,
    async close () {
      try {
        await adminQuery(`DROP DATABASE ${database}`)
      } finally {
        await new Promise<void>(resolve => { pool.end(() => resolve()) })
        await new Promise<void>(resolve => { admin.end(() => resolve()) })
      }
    }
  }
}

/** Inserts keys into a one-column table in slices. */
export async function insertKeys (db: TestDatabase, table: string, keys: readonly string[], column = 'k'): Promise<void> {
  for (let i = 0; i < keys.length; i += 5000) {
    const slice = keys.slice(i, i + 5000)
    if (slice.length > 0) await db.query(`INSERT INTO ${table} (${column}) VALUES ?`, [slice.map(key => [key])])
  }
}

/** Kills the connection running a statement that mentions `text` (not ours). */
export async function killQueryOn (db: TestDatabase, text: string): Promise<number> {
  const rows = await db.query<Array<{ ID: number }>>('SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND INFO LIKE ?', [`%${text}%`])
  for (const row of rows) await db.query(`KILL CONNECTION ${Number(row.ID)}`)
  return rows.length
}

/** Kills every other connection with an open transaction: the scan's consistent snapshot, even once its query has been sent. */
export async function killOpenTransactions (db: TestDatabase): Promise<number> {
  const rows = await db.query<Array<{ id: number }>>('SELECT trx_mysql_thread_id AS id FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id <> CONNECTION_ID()')
  for (const row of rows) await db.query(`KILL CONNECTION ${Number(row.id)}`)
  return rows.length
}

/**
 * SQL for the integers 1..count, made server-side from cross joins of a digit list (MariaDB
 * caps recursive CTEs at 1000 iterations, MySQL at 1000 depth). Up to 10 million.
 */
export function numbersSql (count: number): string {
  const digits = '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)'
  const places = Math.max(1, Math.ceil(Math.log10(count + 1)))
  const names = Array.from({ length: places }, (_, i) => `d${i}`)
  return `SELECT ${names.map((name, i) => `${name}.d * ${10 ** i}`).join(' + ')} + 1 AS n FROM ${names.map(name => `${digits} ${name}`).join(', ')} HAVING n <= ${count}`
}
