import type { PoolClient } from 'pg'
import { InvalidOptionError } from '@keydiff/core'
import { renderExpression, type BinaryEncoding, type KeyKind } from './key-types.ts'

/**
 * The keys `(after, upTo]` in UTF-8 byte order (core's compareKeys), read by the query itself
 * as `key > after AND key <= upTo` under `COLLATE "C"`: a shard of a distributed run reads its
 * own references, not every row. The bounds are bound parameters (`set_config` in the scan's
 * transaction, read by `current_setting`, so COPY, which takes no parameters, filters too).
 * A btree index serves the range when it compares in "C": `CREATE INDEX ON t (k COLLATE "C")`,
 * or a plain index on a column declared `COLLATE "C"`; an index with `text_pattern_ops` does
 * not (it serves `~>~` only), nor one under another collation (then every shard scans the
 * table, with fewer rows sent). A key column that is not text is compared as its rendered key
 * (`encode(k, 'hex')`, `k::text`): exact, and only an index on that expression serves it
 * (`CREATE INDEX ON t (((u::text) COLLATE "C"))`).
 */
export interface PostgresKeyRange {
  /** Keys above this one. @default no lower bound */
  after?: string | undefined
  /** Keys up to this one, included. @default no upper bound */
  upTo?: string | undefined
  /**
   * Also every row whose key matches this regular expression, wherever it lies: the
   * references a shard must see whichever range it plans (a URI, a percent escape, which may
   * resolve to another key). Written into the SQL as a constant, so that a partial index
   * `CREATE INDEX ON t (k) WHERE k COLLATE "C" ~ '<the same pattern>'` serves it beside the range's
   * index; without one the query scans the table. Keep to the syntax PostgreSQL, MySQL and
   * MongoDB share (classes, anchors, alternation, `?`). @default none
   */
  alsoMatching?: string | undefined
}

// custom settings of the scan's transaction; `set_config(…, true)` ends with it
const AFTER = 'keydiff.range_after'
const UP_TO = 'keydiff.range_up_to'
const DOLLAR_QUOTE = '$keydiff_pattern$'

/** The condition on `column` (`q."k"`) that keeps the range's rows and those `alsoMatching` matches. */
export function rangeCondition (range: PostgresKeyRange, kind: KeyKind, column: string, binary: BinaryEncoding): string {
  const key = comparedKey(kind, column, binary)
  const bounds = [
    ...(range.after === undefined ? [] : [`${key} COLLATE "C" > current_setting('${AFTER}')`]),
    ...(range.upTo === undefined ? [] : [`${key} COLLATE "C" <= current_setting('${UP_TO}')`])
  ].join(' AND ')
  if (range.alsoMatching === undefined) return bounds
  return `(${bounds}) OR ${patternCondition(range.alsoMatching, kind, column, binary)}`
}

/** The condition that keeps the rows whose key `alsoMatching` matches, as a ranged query writes it. */
export function patternCondition (alsoMatching: string, kind: KeyKind, column: string, binary: BinaryEncoding): string {
  if (alsoMatching.includes(DOLLAR_QUOTE)) throw new InvalidOptionError('range', `alsoMatching must not hold ${DOLLAR_QUOTE}`)
  // dollar-quoted: read as written whatever standard_conforming_strings says
  return `${comparedKey(kind, column, binary)} COLLATE "C" ~ ${DOLLAR_QUOTE}${alsoMatching}${DOLLAR_QUOTE}`
}

/** What a range compares: the column itself when it is text, else its rendered key (which only an index on that expression serves). */
export function comparedKey (kind: KeyKind, column: string, binary: BinaryEncoding): string {
  return kind === 'text' ? column : `(${renderExpression(kind, column, binary)})`
}

/** Whether a condition, as EXPLAIN prints it, compares with a range's bounds. */
export function holdsRangeBounds (condition: string): boolean {
  return condition.includes(`'${AFTER}'`) || condition.includes(`'${UP_TO}'`)
}

/** Sets the range's bounds in the scan's transaction, before its query runs. */
export async function setRangeBounds (client: PoolClient, range: PostgresKeyRange): Promise<void> {
  await client.query({ text: `SELECT set_config('${AFTER}', $1, true), set_config('${UP_TO}', $2, true)`, values: [range.after ?? '', range.upTo ?? ''] })
}
