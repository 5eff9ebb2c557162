import type { Pool } from 'pg'
import { InvalidOptionError, type KeyBatch, type KeySource } from '@keydiff/core'
import type { LineChunk } from '@keydiff/core/adapter'
import { checkedRange, plannedSource, positiveInteger, rangeWithMapRow, specOption, type ScanState } from '@keydiff/sql-kit'
import { checkout, type Checkout } from './checkout.ts'
import { poolOf, type PostgresClientOption } from './client-option.ts'
import { copyChunks, copyRows } from './copy-rows.ts'
import { cursorRows, type RowMapper } from './cursor-rows.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { quoteIdent, quoteLiteral } from './identifiers.ts'
import { setRangeBounds, type PostgresKeyRange } from './key-range.ts'
import { renderExpression, type BinaryEncoding } from './key-types.ts'
import { orderedQuery, planQuery, specQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'
import type { PostgresSnapshot } from './snapshot.ts'

/**
 * `cursor`: a server-side cursor, any query, extra columns. `copy`: `COPY ... TO STDOUT`,
 * fastest, one key column, no params. `auto`: copy unless `mapRow` or `params` need the cursor.
 */
export type PostgresStrategy = 'auto' | 'cursor' | 'copy'

export interface PostgresReferencesFields extends QuerySpec {
  /** List in UTF-8 byte order (`ORDER BY ... COLLATE "C"`) and declare the source sorted. @default false */
  sorted?: boolean
  /** @default 'auto' (copy, or cursor when `mapRow` or `params` are given) */
  strategy?: PostgresStrategy
  /** Rows per batch (and per cursor fetch). @default 10000 */
  batchSize?: number
  /** How a bytea key column is rendered. @default 'hex' */
  binary?: BinaryEncoding
  /** Builds the key (or entry) from the whole row, e.g. `row => \`${row.schema}/${row.hash}\``. Cursor strategy only. @default the key column's value */
  mapRow?: RowMapper
  /** Read inside this snapshot (shared with other sources of the run). @default a snapshot of its own per scan */
  snapshot?: PostgresSnapshot | (() => PostgresSnapshot | undefined)
  /**
   * Read only the keys of this byte-order range `(after, upTo]` (and those `alsoMatching`
   * matches), selected by the query: see PostgresKeyRange for the index that serves it. Only
   * for a key that is the column as stored: with `mapRow` the key is built from the row and
   * its order is not the column's, so a range is refused (KEYDIFF_INVALID_OPTION); filter
   * the keys instead. @default every row
   */
  range?: PostgresKeyRange
  /** @default `postgres://user@host:port/db <table or query> (<column>)` */
  name?: string
  /** @default the planner's estimate (table statistics), known once the source is planned */
  estimatedCount?: number
  signal?: AbortSignal
}

/** `client` (the user's pg Pool) and where the keys come from. */
export type PostgresReferencesOptions = PostgresReferencesFields & PostgresClientOption

/**
 * A reference source that asks the server on first iteration; awaiting it asks at once (what
 * the query returns, so a wrong column fails there, and the planner's row estimate).
 */
export type PostgresReferencesSource = KeySource & PromiseLike<KeySource>

/**
 * Reference keys from a PostgreSQL query or table column, streamed without loading the
 * result, inside a `REPEATABLE READ READ ONLY` transaction whose start is the source's
 * `scanStartedAt`. Made without I/O: the spec and options are checked at once, the server is
 * asked what the query returns when the source is first read (or awaited).
 */
export function postgresReferences (options: PostgresReferencesOptions): PostgresReferencesSource {
  const pool = poolOf(options, 'postgresReferences')
  const batchSize = positiveInteger(options.batchSize ?? 10_000, 'batchSize')
  const binary = options.binary ?? 'hex'
  if (binary !== 'hex' && binary !== 'base64') throw new InvalidOptionError('binary', `must be 'hex' or 'base64', got ${String(binary)}`)
  const asked = options.strategy ?? 'auto'
  if (asked !== 'auto' && asked !== 'cursor' && asked !== 'copy') throw new InvalidOptionError('strategy', `must be 'auto', 'cursor' or 'copy', got ${String(asked)}`)
  const strategy = asked !== 'auto' ? asked : options.mapRow === undefined && (options.params?.length ?? 0) === 0 ? 'copy' : 'cursor'
  if (strategy === 'copy' && options.mapRow !== undefined) throw new InvalidOptionError('mapRow', "the copy strategy reads the key column only; use strategy: 'cursor' or a map() transform")
  if (strategy === 'copy' && (options.params?.length ?? 0) > 0) throw new InvalidOptionError('params', 'COPY takes no parameters; inline them or use the cursor strategy')
  const range = checkedRange(options.range)
  if (range !== undefined && options.mapRow !== undefined) throw rangeWithMapRow()

  const endpoint = endpointOf(pool)
  const { label } = specQuery(options)
  const name = options.name ?? `${endpoint} ${label}${options.column === undefined ? '' : ` (${options.column})`}`
  const sorted = options.sorted ?? false
  const planned = async (): Promise<{ plan: QueryPlan, sql: string }> => {
    const plan = await planQuery(pool, options, name, endpoint)
    const column = `q.${quoteIdent(plan.column)}`
    const select = strategy === 'copy' ? renderExpression(plan.kind, column, binary) : options.mapRow === undefined ? column : '*'
    return { plan, sql: orderedQuery(plan, select, sorted, binary, name, range) }
  }
  const scanOf = <T> (read: (held: Checkout, sql: string, plan: QueryPlan) => AsyncIterable<T>) =>
    ({ plan, sql }: { plan: QueryPlan, sql: string }, state: ScanState) => scan(pool, options, state, endpoint, range, held => read(held, sql, plan))
  return plannedSource({
    name,
    sorted,
    estimatedCount: options.estimatedCount,
    plan: planned,
    estimateOf: ({ plan }) => plan.estimatedCount,
    batches: scanOf<KeyBatch>((held, sql, plan) => strategy === 'copy'
      ? copyRows(held.client, held.lost, sql, batchSize, options.signal)
      : cursorRows(held.client, held.lost, { sql, params: plan.params, batchSize, binary, column: plan.column, mapRow: options.mapRow, signal: options.signal })),
    // The engine reads COPY's rows as bytes where they lie in the socket's reads: no strings.
    chunks: strategy === 'copy' ? scanOf<LineChunk>((held, sql) => copyChunks(held.client, held.lost, sql, options.signal)) : undefined
  })
}

/**
 * One scan on a client of its own: a `REPEATABLE READ READ ONLY` transaction (in the shared
 * snapshot when there is one) whose start is recorded before `read` streams the rows.
 */
async function * scan<T> (
  pool: Pool,
  options: PostgresReferencesOptions,
  source: ScanState,
  endpoint: string,
  range: PostgresKeyRange | undefined,
  read: (held: Checkout) => AsyncIterable<T>
): AsyncGenerator<T> {
  const held = await checkout(pool, source.name, endpoint)
  let clean = false
  try {
    const { client } = held
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const snapshot = typeof options.snapshot === 'function' ? options.snapshot() : options.snapshot
    if (snapshot !== undefined) {
      await client.query(`SET TRANSACTION SNAPSHOT ${quoteLiteral(snapshot.id)}`)
      source.scanStartedAt = snapshot.startedAt
    } else {
      const started = await client.query<{ started: Date }>('SELECT now() AS started')
      source.scanStartedAt = (started.rows[0] as { started: Date }).started
    }
    if (range !== undefined) await setRangeBounds(client, range)
    yield * read(held)
    await client.query('COMMIT')
    clean = true
  } catch (error) {
    throw postgresError(source.name, endpoint, error, specOption(options), true)
  } finally {
    // A scan left early (or broken) may still have a cursor or COPY in flight: drop the session.
    held.release(!clean)
  }
}
