import type { PointLookup } from '@keydiff/core'

export interface SqlLookupInit<P> {
  name: string
  /** Column values per query. */
  batchSize: number
  /** The column value a storage key stands for; undefined when the table cannot reference it. */
  toColumnKey: (key: string) => string | undefined
  /** Asks the server what the query returns; once, again only after a failure. */
  prepare: () => Promise<P>
  /** The value a column key is stored as, or undefined when no row can render to it. */
  parse: (plan: P, columnKey: string) => unknown
  /** The key column of the rows whose column is one of `values`. */
  fetch: (plan: P, values: readonly unknown[]) => Promise<readonly unknown[]>
  /** A fetched value as its key, as the references render it. */
  render: (value: unknown) => string | undefined
}

/**
 * The sweep's re-check for a table or query: which keys are referenced now, outside any
 * snapshot, by batched `IN` / `= ANY` queries the column's index serves. A found value is
 * rendered again and matched exactly, so a collation that folds case or pads spaces cannot
 * make another key count as referenced.
 */
export function sqlLookup<P> (init: SqlLookupInit<P>): PointLookup {
  let planned: Promise<P> | undefined
  return {
    name: init.name,
    async has (keys) {
      planned ??= init.prepare()
      const plan = await planned.catch((error: unknown) => {
        planned = undefined
        throw error
      })
      const wanted = new Map<string, string[]>()
      const values: unknown[] = []
      for (const key of keys) {
        const columnKey = init.toColumnKey(key)
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
      for (let i = 0; i < values.length; i += init.batchSize) {
        for (const value of await init.fetch(plan, values.slice(i, i + init.batchSize))) {
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
