import type { Pool as CorePool, FieldPacket } from 'mysql2'
import { baseQuery, keyColumn, specOption } from '@keydiff/sql-kit'
import { mysqlError } from './errors.ts'
import { checkout, qualified, quoteIdent, run } from './pool.ts'
import { keyKind, type KeyKind } from './key-types.ts'

/** Where the keys come from: the user's query, or a table and column. */
export interface QuerySpec {
  /** SQL returning the key column (and any extra columns a `mapRow` needs). */
  query?: string | undefined
  /** Values of `query`'s `?` placeholders. */
  params?: readonly unknown[] | undefined
  /** The key column: a column of `table`, or an output column of `query` (default: its first). */
  column?: string | undefined
  table?: string | undefined
  /** The table's database. @default the pool's database */
  database?: string | undefined
  /** An SQL condition on the table's rows. */
  where?: string | undefined
  /** More columns of `table` to hand to `mapRow`. */
  columns?: readonly string[] | undefined
}

export interface QueryPlan {
  base: string
  params: readonly unknown[]
  column: string
  kind: KeyKind
  /** How mysql2 decodes the key column's text (`utf8` for the utf8mb4 and utf8mb3 character sets). */
  encoding: string | undefined
  label: string
  estimatedCount: number | undefined
}

/** The spec's SQL, its table qualified by `database`; checked without the server, so a spec that cannot work fails when the source is made. */
export function specQuery (spec: QuerySpec): Pick<QueryPlan, 'base' | 'params' | 'label'> {
  return baseQuery(spec, { quoteIdent, qualifiedTable: table => qualified(table, spec.database) })
}

/** Asks the server what the spec's query returns (its key column's type and character set) and, for a table, its row estimate. */
export async function planQuery (pool: CorePool, spec: QuerySpec, where: string, endpoint: string): Promise<QueryPlan> {
  const { base, params, label } = specQuery(spec)
  const held = await checkout(pool, where, endpoint)
  try {
    const fields = await new Promise<FieldPacket[]>((resolve, reject) => {
      held.connection.query(`SELECT * FROM (${base}) AS q LIMIT 0`, params as unknown[], (error, _rows, fields) => {
        if (error !== null) reject(error); else resolve(fields)
      })
    })
    const { column, field } = keyColumn(fields as Array<FieldPacket & { columnType?: number, characterSet?: number, encoding?: string }>, spec.column, where, label)
    let estimatedCount: number | undefined
    if (spec.table !== undefined) {
      const rows = await run<Array<{ n: number | null }>>(held.connection,
        'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?', [spec.database ?? null, spec.table])
      const n = rows[0]?.n
      estimatedCount = typeof n === 'number' || typeof n === 'string' ? Number(n) : undefined
    }
    held.release()
    return { base, params, column, kind: keyKind(field.columnType ?? field.type ?? -1, field.characterSet ?? 0, where, column), encoding: field.encoding, label, estimatedCount }
  } catch (error) {
    held.release(true)
    throw mysqlError(where, endpoint, error, specOption(spec))
  }
}
