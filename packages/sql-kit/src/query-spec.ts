import { InvalidOptionError } from '@keydiff/core'

/** The parts of an adapter's query spec that the base query reads. */
export interface SpecFields {
  query?: string | undefined
  params?: readonly unknown[] | undefined
  column?: string | undefined
  table?: string | undefined
  where?: string | undefined
  columns?: readonly string[] | undefined
}

/** The rows of a spec before ordering, and what errors call them. */
export interface BaseQuery {
  base: string
  params: readonly unknown[]
  /** `query`, or `table <qualified name>`. */
  label: string
}

/** How a dialect writes names: an identifier, and a table with its schema or database. */
export interface SqlNames {
  quoteIdent: (name: string) => string
  /** The spec's table, qualified by its schema (PostgreSQL) or database (MySQL). */
  qualifiedTable: (table: string) => string
}

/**
 * The SQL of a spec: the user's query as given (without a trailing semicolon), or the key
 * column and `columns` of a table where the key is not null and `where` holds. Checked
 * without the server, so a spec that cannot work fails when the source is made.
 */
export function baseQuery (spec: SpecFields, names: SqlNames): BaseQuery {
  if (spec.query !== undefined) {
    if (spec.table !== undefined) throw new InvalidOptionError('query', 'give either query or table, not both')
    if (typeof spec.query !== 'string' || spec.query.trim() === '') throw new InvalidOptionError('query', 'must be a non-empty SQL string')
    return { base: spec.query.trim().replace(/;\s*$/, ''), params: spec.params ?? [], label: 'query' }
  }
  if (typeof spec.table !== 'string' || spec.table === '') throw new InvalidOptionError('table', 'give a query, or a table and a column')
  if (typeof spec.column !== 'string' || spec.column === '') throw new InvalidOptionError('column', `the key column of table ${spec.table} is required`)
  const columns = [spec.column, ...(spec.columns ?? [])].map(names.quoteIdent).join(', ')
  const where = spec.where === undefined ? '' : ` AND (${spec.where})`
  const table = names.qualifiedTable(spec.table)
  return { base: `SELECT ${columns} FROM ${table} WHERE ${names.quoteIdent(spec.column)} IS NOT NULL${where}`, params: spec.params ?? [], label: `table ${table}` }
}

/**
 * The key column among what the query returns: `column`, or the first. A name it does not
 * return is an InvalidOptionError that lists what it does return.
 */
export function keyColumn<F extends { name: string }> (fields: readonly F[], column: string | undefined, where: string, label: string): { column: string, field: F } {
  const name = column ?? fields[0]?.name
  const field = fields.find(field => field.name === name)
  if (name === undefined || field === undefined) {
    throw new InvalidOptionError('column', `${where}: the ${label} returns no column ${JSON.stringify(name ?? '')} (it returns ${fields.map(f => JSON.stringify(f.name)).join(', ') || 'no columns'})`)
  }
  return { column: name, field }
}

/** The error's option for a query the server rejects: `table` for a table spec, else `query`. */
export function specOption (spec: SpecFields): 'query' | 'table' {
  return spec.query === undefined ? 'table' : 'query'
}

/** The InvalidOptionError for `sorted: true` on a key that does not list in byte order. */
export function unsortableKey (where: string, kind: string, rendering: string, binaryHint: boolean): InvalidOptionError {
  return new InvalidOptionError('sorted', `${where}: a ${kind} column rendered ${rendering} cannot be listed in key byte order; set sorted: false${binaryHint ? " or binary: 'hex'" : ''}`)
}
