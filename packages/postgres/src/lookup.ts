import type { Pool } from 'pg'
import { InvalidOptionError, type PointLookup } from '@keydiff/core'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { quoteIdent } from './identifiers.ts'
import { arrayCast, parseKey, renderKey, type BinaryEncoding } from './key-types.ts'
import { planQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'

export interface PostgresLookupOptions extends QuerySpec {
  pool: Pool
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

/**
 * The sweep's re-check: which of a plan's keys are referenced now (outside any snapshot),
 * by `column = ANY($1::type[])` queries that the column's index serves.
 */
export function postgresLookup (options: PostgresLookupOptions): PointLookup {
  if (options === null || typeof options !== 'object' || typeof options.pool?.connect !== 'function') throw new TypeError('postgresLookup: options.pool must be a pg Pool')
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(batchSize)}`)
  const binary = options.binary ?? 'hex'
  const toColumnKey = options.toColumnKey ?? ((key: string) => key)
  const endpoint = endpointOf(options.pool)
  const name = options.name ?? `${endpoint} ${options.table === undefined ? 'query' : `table ${options.table}`}`
  let planned: Promise<{ plan: QueryPlan, sql: string }> | undefined

  const prepare = async (): Promise<{ plan: QueryPlan, sql: string }> => {
    const plan = await planQuery(options.pool, options, name, endpoint)
    const column = `q.${quoteIdent(plan.column)}`
    const sql = `SELECT DISTINCT ${column} FROM (${plan.base}) AS q WHERE ${column} = ANY($${plan.params.length + 1}::${arrayCast(plan.typeOid)})`
    return { plan, sql }
  }

  return {
    name,
    async has (keys) {
      planned ??= prepare()
      const { plan, sql } = await planned.catch((error: unknown) => {
        planned = undefined
        throw error
      })
      const wanted = new Map<string, string[]>()
      const values: Array<string | Buffer> = []
      for (const key of keys) {
        const columnKey = toColumnKey(key)
        if (columnKey === undefined) continue
        const value = parseKey(columnKey, plan.typeOid, binary)
        if (value === undefined) continue
        const same = wanted.get(columnKey)
        if (same === undefined) {
          wanted.set(columnKey, [key])
          values.push(value)
        } else {
          same.push(key)
        }
      }
      const found = new Set<string>()
      for (let i = 0; i < values.length; i += batchSize) {
        let rows: unknown[][]
        try {
          const result = await options.pool.query({ text: sql, values: [...plan.params, values.slice(i, i + batchSize)], rowMode: 'array' })
          rows = result.rows as unknown[][]
        } catch (error) {
          throw postgresError(name, endpoint, error)
        }
        for (const row of rows) {
          const key = renderKey(row[0], binary)
          for (const storageKey of (key === undefined ? undefined : wanted.get(key)) ?? []) found.add(storageKey)
        }
      }
      return found
    }
  }
}
