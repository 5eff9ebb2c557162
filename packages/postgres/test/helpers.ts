import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const PGURL = process.env.PGURL ?? 'postgres://postgres@127.0.0.1:5432/test'

export interface TestDatabase {
  pool: pg.Pool
  schema: string
  /** A new table name in the schema, quoted and qualified. */
  table: (prefix?: string) => { name: string, qualified: string }
  close: () => Promise<void>
}

/** A fresh schema on the server of PGURL, dropped by close(). */
export async function openDatabase (poolOptions: pg.PoolConfig = {}): Promise<TestDatabase> {
  const pool = new pg.Pool({ connectionString: PGURL, max: 8, ...poolOptions })
  const schema = `keydiff_test_${randomBytes(5).toString('hex')}`
  try {
    await pool.query(`CREATE SCHEMA ${schema}`)
  } catch (error) {
    await pool.end()
    throw new Error(`PostgreSQL is not reachable at ${PGURL.replace(/:[^:@/]*@/, ':***@')}: ${(error as Error).message}. Start it, or set PGURL to a server the tests may create schemas on.`, { cause: error })
  }
  let n = 0
  return {
    pool,
    schema,
    table: (prefix = 't') => {
      const name = `${prefix}_${++n}`
      return { name, qualified: `${schema}.${name}` }
    },
    async close () {
      try {
        await pool.query(`DROP SCHEMA ${schema} CASCADE`)
      } finally {
        await pool.end()
      }
    }
  }
}

/** Inserts keys into a one-column text table through unnest, in slices. */
export async function insertKeys (pool: pg.Pool, table: string, keys: readonly string[], column = 'key'): Promise<void> {
  for (let i = 0; i < keys.length; i += 10_000) {
    await pool.query(`INSERT INTO ${table} (${column}) SELECT unnest($1::text[])`, [keys.slice(i, i + 10_000)])
  }
}
