import type { PointLookup } from '@keydiff/core'
import { positiveInteger } from './options.ts'

/** What a user sets on any SQL look-up. */
export interface SqlLookupOptions {
  /** Column values per query. @default 1000 */
  batchSize?: number | undefined
  /** The column value a storage key stands for; undefined when the table cannot reference it. @default the key */
  toColumnKey?: ((key: string) => string | undefined) | undefined
  name?: string | undefined
}

export interface SqlLookupInit<P> {
  /** The name unless the options give one: `<endpoint> <table or query>`. */
  name: string
  /** Asks the server what the query returns (`name` for its errors); once, again only after a failure. */
  plan: (name: string) => Promise<P>
  /** The value a column key is stored as, or undefined when no row can render to it. */
  parse: (plan: P, columnKey: string) => unknown
  /** The key column of the rows whose column is one of `values`. */
  fetch: (plan: P, values: readonly unknown[], name: string) => Promise<readonly unknown[]>
  /** A fetched value as its key, as the references render it. */
  render: (value: unknown) => string | undefined
}

/**
 * The sweep's re-check for a table or query: which keys are referenced now, outside any
 * snapshot, by batched `IN` / `= ANY` queries the column's index serves. A found value is
 * rendered again and matched exactly, so a collation that folds case or pads spaces cannot
 * make another key count as referenced.
 */
export function sqlLookup<P> (options: SqlLookupOptions, init: SqlLookupInit<P>): PointLookup {
  const name = options.name ?? init.name
  const batchSize = positiveInteger(options.batchSize ?? 1000, 'batchSize')
  const toColumnKey = options.toColumnKey ?? (key => key)
  let planned: Promise<P> | undefined
  return {
    name,
    async has (keys) {
      planned ??= init.plan(name)
      const plan = await planned.catch((error: unknown) => {
        planned = undefined
        throw error
      })
      const wanted = new Map<string, string[]>()
      const values: unknown[] = []
      for (const key of keys) {
        const columnKey = toColumnKey(key)
        if (columnKey === undefined) continue
        const value = init.parse(plan, columnKey)
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
        for (const value of await init.fetch(plan, values.slice(i, i + batchSize), name)) {
          let key: string | undefined
          try {
            key = init.render(value)
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
