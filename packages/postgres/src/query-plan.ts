import type { Pool } from 'pg'
import { baseQuery, keyColumn, specOption, unsortableKey } from '@keydiff/sql-kit'
import { checkout } from './checkout.ts'
import { postgresError } from './errors.ts'
import { qualified, quoteIdent } from './identifiers.ts'
import { rangeCondition, type PostgresKeyRange } from './key-range.ts'
import { keyKind, ordersAsKeys, orderExpression, type BinaryEncoding, type KeyKind } from './key-types.ts'

/** Where the keys come from: the user's query, or a table (of a schema) and its key column. */
export interface QuerySpec {
  /** SQL returning the key column, e.g. `SELECT path FROM files WHERE bucket = $1`, and any extra columns `mapRow` reads. */
  query?: string | undefined
  /** Values of `query`'s `$1`, `$2`, ... */
  params?: readonly unknown[] | undefined
  /** A table of the database, found on the search path unless `schema` is given. */
  table?: string | undefined
  /** @default the first schema of the search path that holds `table` */
  schema?: string | undefined
  /** The key column: a column of `table`, or an output column of `query` (default: its first). */
  column?: string | undefined
  /** More columns of `table` to hand to `mapRow`. */
  columns?: readonly string[] | undefined
  /** An SQL condition on the table's rows, e.g. `deleted_at IS NULL`. */
  where?: string | undefined
}

export interface QueryPlan {
  /** The rows, without ordering: `SELECT ... FROM (...) AS q`. */
  base: string
  params: readonly unknown[]
  column: string
  kind: KeyKind
  typeOid: number
  /** What the source is called in errors: the table or `query`. */
  label: string
  estimatedCount: number | undefined
}

/** The spec's SQL, its table qualified by `schema`; checked without the server, so a spec that cannot work fails when the source is made. */
export function specQuery (spec: QuerySpec): Pick<QueryPlan, 'base' | 'params' | 'label'> {
  return baseQuery(spec, { quoteIdent, qualifiedTable: table => qualified(table, spec.schema) })
}

/** Asks the server what the spec's query returns (its key column's type, its row estimate) before any row is read. */
export async function planQuery (pool: Pool, spec: QuerySpec, where: string, endpoint: string): Promise<QueryPlan> {
  const { base, params, label } = specQuery(spec)
  const held = await checkout(pool, where, endpoint)
  try {
    const described = await held.client.query({ text: `SELECT * FROM (${base}) AS q LIMIT 0`, values: [...params] })
    const { column, field } = keyColumn(described.fields, spec.column, where, label)
    const explained = await held.client.query({ text: `EXPLAIN (FORMAT JSON) ${base}`, values: [...params] })
    const plan = (explained.rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> })['QUERY PLAN'][0]?.Plan
    held.release()
    return {
      base,
      params,
      column,
      kind: keyKind(field.dataTypeID, where, column),
      typeOid: field.dataTypeID,
      label,
      estimatedCount: plan === undefined ? undefined : Math.round(plan['Plan Rows'])
    }
  } catch (error) {
    held.release(true)
    throw postgresError(where, endpoint, error, specOption(spec))
  }
}

/** The final SQL: the base rows (of the key range, when given), ordered in key byte order when asked. */
export function orderedQuery (plan: QueryPlan, select: string, sorted: boolean, binary: BinaryEncoding, where: string, range?: PostgresKeyRange): string {
  const condition = range === undefined ? undefined : rangeCondition(range, plan.kind, `q.${quoteIdent(plan.column)}`, binary)
  return queryWhere(plan, select, sorted, binary, where, condition)
}

/** orderedQuery with any condition on the key column `q."<column>"` in place of a range's. */
export function queryWhere (plan: QueryPlan, select: string, sorted: boolean, binary: BinaryEncoding, where: string, condition?: string): string {
  const column = `q.${quoteIdent(plan.column)}`
  if (sorted && !ordersAsKeys(plan.kind, binary)) throw unsortableKey(where, plan.kind, plan.kind === 'bytea' ? `as ${binary}` : 'in decimal', plan.kind === 'bytea')
  const filtered = condition === undefined ? '' : ` AND (${condition})`
  return `SELECT ${select} FROM (${plan.base}) AS q WHERE ${column} IS NOT NULL${filtered}${sorted ? ` ORDER BY ${orderExpression(plan.kind, column)}` : ''}`
}
