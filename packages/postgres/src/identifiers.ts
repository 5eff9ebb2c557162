/** Quotes an identifier for SQL; `schema.table` given as one string is split on the dot. */
export function quoteIdent (name: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError('an SQL identifier must be a non-empty string')
  return `"${name.replaceAll('"', '""')}"`
}

export function qualified (table: string, schema?: string): string {
  return schema === undefined ? quoteIdent(table) : `${quoteIdent(schema)}.${quoteIdent(table)}`
}

export function quoteLiteral (value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}
