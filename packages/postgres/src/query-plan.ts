import type { Pool } from 'pg'
import { InvalidOptionError } from '@keydiff/core'
import { checkout } from './checkout.ts'
import { postgresError } from './errors.ts'
import { qualified, quoteIdent } from './identifiers.ts'
import { keyKind, ordersAsKeys, orderExpression, type BinaryEncoding, type KeyKind } from './key-types.ts'

/** Where the keys come from: the user's query, or a table and column. */
export interface QuerySpec {
  /** SQL returning the key column (and any extra columns a `mapRow` needs). */
  query?: string | undefined
  /** Parameters of `query` ($1, $2, ...). */
  params?: readonly unknown[] | undefined
  /** The key column: a column of `table`, or an output column of `query` (default: its first). */
  column?: string | undefined
  table?: string | undefined
  schema?: string | undefined
  /** An SQL condition on the table's rows. */
  where?: string | undefined
  /** More columns of `table` to hand to `mapRow`. */
  columns?: readonly string[] | undefined
}

export interface QueryPlan {
  /** The rows, without ordering: `SELECT ... FROM (...) AS q`. */
  base: string
  params: readonly unknown[]
  column: string
  columnIndex: number
  kind: KeyKind
  typeOid: number
  /** What the source is called in errors: the table or `query`. */
  label: string
  estimatedCount: number | undefined
}

/** Builds the SQL of a spec and asks the server what it returns, before any row is read. */
export async function planQuery (pool: Pool, spec: QuerySpec, where: string, endpoint: string): Promise<QueryPlan> {
  const { base, params, label } = baseQuery(spec)
  const held = await checkout(pool, where, endpoint)
  try {
    const described = await held.client.query({ text: `SELECT * FROM (${base}) AS q LIMIT 0`, values: [...params] })
    const fields = described.fields
    const column = spec.column ?? fields[0]?.name
    const columnIndex = fields.findIndex(field => field.name === column)
    const field = fields[columnIndex]
    if (column === undefined || field === undefined) {
      throw new InvalidOptionError('column', `${where}: the ${label} returns no column ${JSON.stringify(column ?? '')} (it returns ${fields.map(f => JSON.stringify(f.name)).join(', ') || 'no columns'})`)
    }
    const explained = await held.client.query({ text: `EXPLAIN (FORMAT JSON) ${base}`, values: [...params] })
    const plan = (explained.rows[0] as { 'QUERY PLAN': Array<{ Plan: { 'Plan Rows': number } }> })['QUERY PLAN'][0]?.Plan
    held.release()
    return {
      base,
      params,
      column,
      columnIndex,
      kind: keyKind(field.dataTypeID, where, column),
      typeOid: field.dataTypeID,
      label,
      estimatedCount: plan === undefined ? undefined : Math.round(plan['Plan Rows'])
    }
  } catch (error) {
    held.release(true)
    throw postgresError(where, endpoint, error, spec.query === undefined ? 'table' : 'query')
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
  const table = qualified(spec.table, spec.schema)
  return { base: `SELECT ${columns} FROM ${table} WHERE ${quoteIdent(spec.column)} IS NOT NULL${where}`, params: spec.params ?? [], label: `table ${table}` }
}

/** The final SQL: the base rows, ordered in key byte order when asked. */
export function orderedQuery (plan: QueryPlan, select: string, sorted: boolean, binary: BinaryEncoding, where: string): string {
  const column = `q.${quoteIdent(plan.column)}`
  if (sorted && !ordersAsKeys(plan.kind, binary)) {
    throw new InvalidOptionError('sorted', `${where}: a ${plan.kind} column rendered ${plan.kind === 'bytea' ? `as ${binary}` : 'in decimal'} cannot be listed in key byte order; set sorted: false${plan.kind === 'bytea' ? " or binary: 'hex'" : ''}`)
  }
  return `SELECT ${select} FROM (${plan.base}) AS q WHERE ${column} IS NOT NULL${sorted ? ` ORDER BY ${orderExpression(plan.kind, column)}` : ''}`
}
