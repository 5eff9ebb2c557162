import type { Pool as CorePool, FieldPacket } from 'mysql2'
import { InvalidOptionError } from '@keydiff/core'
import { mysqlError } from './errors.ts'
import { checkout, qualified, quoteIdent, run } from './pool.ts'
import { keyKind, type KeyKind } from './key-types.ts'

/** Where the keys come from: the user's query, or a table and column. */
export interface QuerySpec {
  /** SQL returning the key column (and any extra columns a `mapRow` needs). */
  query?: string | undefined
  /** Values of the query's `?` placeholders. */
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
  columnIndex: number
  kind: KeyKind
  /** How mysql2 decodes the key column's text (`utf8` for the utf8mb4 and utf8mb3 character sets). */
  encoding: string | undefined
  label: string
  estimatedCount: number | undefined
}

/** Builds the SQL of a spec and asks the server what it returns, before any row is read. */
export async function planQuery (pool: CorePool, spec: QuerySpec, where: string, endpoint: string): Promise<QueryPlan> {
  const { base, params, label } = baseQuery(spec)
  const held = await checkout(pool, where, endpoint)
  try {
    const fields = await new Promise<FieldPacket[]>((resolve, reject) => {
      held.connection.query(`SELECT * FROM (${base}) AS q LIMIT 0`, params as unknown[], (error, _rows, fields) => {
        if (error !== null) reject(error); else resolve(fields)
      })
    })
    const column = spec.column ?? fields[0]?.name
    const columnIndex = fields.findIndex(field => field.name === column)
    const field = fields[columnIndex] as (FieldPacket & { columnType?: number, characterSet?: number, encoding?: string }) | undefined
    if (column === undefined || field === undefined) {
      throw new InvalidOptionError('column', `${where}: the ${label} returns no column ${JSON.stringify(column ?? '')} (it returns ${fields.map(f => JSON.stringify(f.name)).join(', ') || 'no columns'})`)
    }
    let estimatedCount: number | undefined
    if (spec.table !== undefined) {
      const rows = await run<Array<{ n: number | null }>>(held.connection,
        'SELECT TABLE_ROWS AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = COALESCE(?, DATABASE()) AND TABLE_NAME = ?', [spec.database ?? null, spec.table])
      const n = rows[0]?.n
      estimatedCount = typeof n === 'number' || typeof n === 'string' ? Number(n) : undefined
    }
    held.release()
    return { base, params, column, columnIndex, kind: keyKind(field.columnType ?? field.type ?? -1, field.characterSet ?? 0, where, column), encoding: field.encoding, label, estimatedCount }
  } catch (error) {
    held.release(true)
    throw mysqlError(where, endpoint, error, spec.query === undefined ? 'table' : 'query')
  }
}

function baseQuery (spec: QuerySpec): { base: string, params: readonly unknown[], label: string } {
  if (spec.query !== undefined) {
    if (spec.table !== undefined) throw new InvalidOptionError('query', 'give either query or table, not both')
    if (typeof spec.query !== 'string' || spec.query.trim() === '') throw new InvalidOptionError('query', 'must be a non-empty SQL string')
    return { base: spec.query.trim().replace(/;\s*$/, ''), params: spec.params ?? [], label: 'query' }
  }
  if (typeof spec.table !== 'string' || spec.table === '') throw new InvalidOptionError('table', 'give a query, or a table and a column')
  if (typeof spec.column !== 'string' || spec.column === '') throw new InvalidOptionError('column', `the key column of table ${spec.table} is required`)
  const columns = [spec.column, ...(spec.columns ?? [])].map(quoteIdent).join(', ')
  const where = spec.where === undefined ? '' : ` AND (${spec.where})`
  const table = qualified(spec.table, spec.database)
  return { base: `SELECT ${columns} FROM ${table} WHERE ${quoteIdent(spec.column)} IS NOT NULL${where}`, params: spec.params ?? [], label: `table ${table}` }
}
