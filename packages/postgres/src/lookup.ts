import type { PointLookup } from '@keydiff/core'
import { sqlLookup } from '@keydiff/sql-kit'
import { poolOf, type PostgresClientOption } from './client-option.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { quoteIdent } from './identifiers.ts'
import { arrayCast, parseKey, renderKey, type BinaryEncoding } from './key-types.ts'
import { planQuery, specQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'

interface PostgresLookupFields extends QuerySpec {
  /** Keys per `= ANY($1)` query. @default 1000 */
  batchSize?: number
  /** How a bytea key column is rendered, as in postgresReferences. @default 'hex' */
  binary?: BinaryEncoding
  /**
   * The column value a storage key stands for, when the references were mapped (the inverse
   * of a `map` transform); undefined when this table cannot reference the key.
   * @default the key itself
   */
  toColumnKey?: (key: string) => string | undefined
  /** @default `postgres://user@host:port/db <table or query>` */
  name?: string
}

/** `client` (the user's pg Pool) and the table or query to look keys up in. */
export type PostgresLookupOptions = PostgresLookupFields & PostgresClientOption

/**
 * The sweep's re-check: which of a plan's keys are referenced now (outside any snapshot),
 * by `column = ANY($1::type[])` queries that the column's index serves.
 */
export function postgresLookup (options: PostgresLookupOptions): PointLookup {
  const pool = poolOf(options, 'postgresLookup')
  const endpoint = endpointOf(pool)
  const binary = options.binary ?? 'hex'
  return sqlLookup(options, {
    name: `${endpoint} ${specQuery(options).label}`,
    plan: async name => lookupQuery(await planQuery(pool, options, name, endpoint)),
    parse: ({ plan }, columnKey) => parseKey(columnKey, plan.typeOid, binary),
    async fetch ({ plan, sql }, values, name) {
      try {
        const result = await pool.query({ text: sql, values: [...plan.params, values], rowMode: 'array' })
        return (result.rows as unknown[][]).map(row => row[0])
      } catch (error) {
        throw postgresError(name, endpoint, error)
      }
    },
    render: value => renderKey(value, binary)
  })
}

/** The look-up's SQL: `= ANY($n::type[])` with the column's own type, so its index serves it. */
function lookupQuery (plan: QueryPlan): { plan: QueryPlan, sql: string } {
  const column = `q.${quoteIdent(plan.column)}`
  return { plan, sql: `SELECT DISTINCT ${column} FROM (${plan.base}) AS q WHERE ${column} = ANY($${plan.params.length + 1}::${arrayCast(plan.typeOid)})` }
}
