import type { ReferenceConfig } from '../config/config-types.ts'

/** A reference read from a SQL database: a query, or a table's column. */
export type SqlReference = Extract<ReferenceConfig, { database: string, query: string } | { database: string, table: string }>

/** What the PostgreSQL and MySQL adapters take for a reference: its query, or its table, column and filter. */
export type SqlSpec = { query: string } | { schema?: string, table: string, column: string, where?: string }

/** The reference's query or table as the adapter takes it: `schema.table` in the config is its `schema` and `table`. */
export function sqlSpec (reference: SqlReference): SqlSpec {
  if ('query' in reference) return { query: reference.query }
  const dot = reference.table.indexOf('.')
  const names = dot < 0 ? { table: reference.table } : { schema: reference.table.slice(0, dot), table: reference.table.slice(dot + 1) }
  return { ...names, column: reference.column, ...(reference.where === undefined ? {} : { where: reference.where }) }
}

/** How errors and progress name it: `main:select …`, `main:files.path`. */
export function sqlSpecName (database: string, spec: SqlSpec): string {
  return `${database}:${'query' in spec ? spec.query : `${spec.table}.${spec.column}`}`
}
