import type { BinaryEncoding, KeyKind } from './key-types.ts'

/**
 * The keys `(after, upTo]` in UTF-8 byte order (core's compareKeys), read by the query itself
 * with a binary comparison of the rendered key (`CAST(CONVERT(k USING utf8mb4) AS BINARY) >
 * ?`): no collation and no PAD SPACE, so `a\t` comes after `a` as in byte order, which
 * `utf8mb4_bin` (a PAD SPACE collation) does not give. A shard of a distributed run reads its own
 * references, not every row. The bounds are bound parameters. Exact results; the comparison
 * is on an expression, so no index on the column serves it: the server reads the table and
 * sends only the range's rows.
 */
export interface MysqlKeyRange {
  /** Keys above this one. @default no lower bound */
  after?: string | undefined
  /** Keys up to this one, included. @default no upper bound */
  upTo?: string | undefined
  /**
   * Also every row whose key matches this regular expression (`REGEXP`, case-sensitive on
   * the key's bytes), wherever it lies: the references a shard must see whichever range it
   * plans (a URI, a percent escape, which may resolve to another key). Keep to the syntax
   * PostgreSQL, MySQL and MongoDB share (classes, anchors, alternation, `?`). @default none
   */
  alsoMatching?: string | undefined
}

/** The key as its rendered bytes, for comparisons in byte order. */
function keyBytes (kind: KeyKind, column: string, binary: BinaryEncoding): string {
  if (kind === 'text') return `CAST(CONVERT(${column} USING utf8mb4) AS BINARY)`
  if (kind === 'integer') return `CAST(CAST(${column} AS CHAR) AS BINARY)`
  if (binary === 'hex') return `CAST(LOWER(HEX(${column})) AS BINARY)`
  if (binary === 'base64') return `CAST(REPLACE(TO_BASE64(${column}), CHAR(10), '') AS BINARY)`
  return column
}

/** The condition on `column` (`q.\`k\``) that keeps the range's rows and those `alsoMatching` matches, and its parameters in order. */
export function rangeCondition (range: MysqlKeyRange, kind: KeyKind, column: string, binary: BinaryEncoding): { sql: string, params: string[] } {
  const key = keyBytes(kind, column, binary)
  const bound = 'CAST(CONVERT(? USING utf8mb4) AS BINARY)'
  const conditions: string[] = []
  const params: string[] = []
  if (range.after !== undefined) {
    conditions.push(`${key} > ${bound}`)
    params.push(range.after)
  }
  if (range.upTo !== undefined) {
    conditions.push(`${key} <= ${bound}`)
    params.push(range.upTo)
  }
  if (range.alsoMatching === undefined) return { sql: conditions.join(' AND '), params }
  return { sql: `(${conditions.join(' AND ')}) OR ${key} REGEXP ?`, params: [...params, range.alsoMatching] }
}
