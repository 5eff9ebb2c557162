import { InvalidOptionError, type PointLookup } from '@keydiff/core'
import { mysqlError } from './errors.ts'
import { parseKey, renderKey, selectExpression, type BinaryEncoding } from './key-types.ts'
import { corePool, endpointOf, quoteIdent, type MysqlPool } from './pool.ts'
import { planQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'

export interface MysqlLookupOptions extends QuerySpec {
  pool: MysqlPool
  /** Keys per `IN (...)` query. @default 1000 */
  batchSize?: number
  /** How a binary key column is rendered, as in mysqlReferences. @default 'hex' */
  binary?: BinaryEncoding
  /** The column value a storage key stands for (the inverse of a `map` transform); undefined when this table cannot reference it. @default the key itself */
  toColumnKey?: (key: string) => string | undefined
  /** @default `mysql://user@host:port/db <table or query>` */
  name?: string
}

/**
 * The sweep's re-check: which keys are referenced now, by `IN (...)` queries. A match is
 * confirmed on the exact rendered value, so a case-insensitive or PAD SPACE collation on
 * the column cannot make a different key count as referenced.
 */
export function mysqlLookup (options: MysqlLookupOptions): PointLookup {
  const pool = corePool(options.pool, 'mysqlLookup')
  const batchSize = options.batchSize ?? 1000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(batchSize)}`)
  const binary = options.binary ?? 'hex'
  const toColumnKey = options.toColumnKey ?? ((key: string) => key)
  const endpoint = endpointOf(pool)
  const name = options.name ?? `${endpoint} ${options.table === undefined ? 'query' : `table ${options.table}`}`
  let planned: Promise<{ plan: QueryPlan, sql: string }> | undefined

  const prepare = async (): Promise<{ plan: QueryPlan, sql: string }> => {
    const plan = await planQuery(pool, options, name, endpoint)
    const column = `q.${quoteIdent(plan.column)}`
    return { plan, sql: `SELECT DISTINCT ${selectExpression(plan.kind, column)} FROM (${plan.base}) AS q WHERE ${column} IN (?)` }
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
        const value = parseKey(columnKey, plan.kind, binary)
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
        const rows = await new Promise<unknown[][]>((resolve, reject) => {
          pool.query({ sql, values: [...plan.params, values.slice(i, i + batchSize)], rowsAsArray: true }, (error, result) => {
            if (error !== null) reject(mysqlError(name, endpoint, error, 'table')); else resolve(result as unknown[][])
          })
        })
        for (const row of rows) {
          let key: string | undefined
          try {
            key = renderKey(row[0], binary)
          } catch {
            continue
          }
          for (const storageKey of (key === undefined ? undefined : wanted.get(key)) ?? []) found.add(storageKey)
        }
      }
      return found
    }
  }
}
