import type { PointLookup } from '@keydiff/core'
import { sqlLookup } from '@keydiff/sql-kit'
import { poolOf, type MysqlClientOption } from './client-option.ts'
import { mysqlError } from './errors.ts'
import { parseKey, renderKey, selectExpression, type BinaryEncoding } from './key-types.ts'
import { endpointOf, quoteIdent } from './pool.ts'
import { planQuery, specQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'

interface MysqlLookupFields extends QuerySpec {
  /** Keys per `IN (...)` query. @default 1000 */
  batchSize?: number
  /** How a binary key column is rendered, as in mysqlReferences. @default 'hex' */
  binary?: BinaryEncoding
  /** The column value a storage key stands for (the inverse of a `map` transform); undefined when this table cannot reference it. @default the key itself */
  toColumnKey?: (key: string) => string | undefined
  /** @default `mysql://user@host:port/db <table or query>` */
  name?: string
}

/** `client` (the user's mysql2 pool) and the table or query to look keys up in. */
export type MysqlLookupOptions = MysqlLookupFields & MysqlClientOption

/**
 * The sweep's re-check: which keys are referenced now, by `IN (...)` queries. A match is
 * confirmed on the exact rendered value, so a case-insensitive or PAD SPACE collation on
 * the column cannot make a different key count as referenced.
 */
export function mysqlLookup (options: MysqlLookupOptions): PointLookup {
  const pool = poolOf(options, 'mysqlLookup')
  const endpoint = endpointOf(pool)
  const binary = options.binary ?? 'hex'
  return sqlLookup(options, {
    name: `${endpoint} ${specQuery(options).label}`,
    plan: async name => lookupQuery(await planQuery(pool, options, name, endpoint)),
    parse: ({ plan }, columnKey) => parseKey(columnKey, plan.kind, binary),
    fetch: async ({ plan, sql }, values, name) => await new Promise<unknown[]>((resolve, reject) => {
      pool.query({ sql, values: [...plan.params, values], rowsAsArray: true }, (error, result) => {
        if (error !== null) reject(mysqlError(name, endpoint, error, 'table')); else resolve((result as unknown[][]).map(row => row[0]))
      })
    }),
    render: value => renderKey(value, binary)
  })
}

/** The look-up's SQL: integers selected as text, as the references render them. */
function lookupQuery (plan: QueryPlan): { plan: QueryPlan, sql: string } {
  const column = `q.${quoteIdent(plan.column)}`
  return { plan, sql: `SELECT DISTINCT ${selectExpression(plan.kind, column)} FROM (${plan.base}) AS q WHERE ${column} IN (?)` }
}
