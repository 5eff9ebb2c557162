import type { Pool } from 'pg'
import { InvalidOptionError, type KeyBatch, type KeySource } from '@keydiff/core'
import { LINE_CHUNKS, type LineChunk } from '@keydiff/core/adapter'
import { checkout, type Checkout } from './checkout.ts'
import { copyChunks, copyRows } from './copy-rows.ts'
import { cursorRows, type RowMapper } from './cursor-rows.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { quoteIdent, quoteLiteral } from './identifiers.ts'
import { renderExpression, type BinaryEncoding } from './key-types.ts'
import { orderedQuery, planQuery, type QuerySpec } from './query-plan.ts'
import type { PostgresSnapshot } from './snapshot.ts'

/**
 * `cursor`: a server-side cursor, any query, extra columns. `copy`: `COPY ... TO STDOUT`,
 * fastest, one key column, no params. `auto`: copy unless `mapRow` or `params` need the cursor.
 */
export type PostgresStrategy = 'auto' | 'cursor' | 'copy'

export interface PostgresReferencesOptions extends QuerySpec {
  /** The user's pool; the source checks out one client per scan and returns it. */
  pool: Pool
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
  /** @default `postgres://user@host:port/db/<table or query>` */
  name?: string
  /** @default the planner's estimate (table statistics) */
  estimatedCount?: number
  signal?: AbortSignal
}

/**
 * Reference keys from a PostgreSQL query or table column, streamed without loading the
 * result, inside a `REPEATABLE READ READ ONLY` transaction whose start is the source's
 * `scanStartedAt`. Async because it asks the server, before any reading, what the query
 * returns (so a wrong column fails at once) and how many rows it expects.
 */
export async function postgresReferences (options: PostgresReferencesOptions): Promise<KeySource> {
  if (options === null || typeof options !== 'object' || typeof options.pool?.connect !== 'function') throw new TypeError('postgresReferences: options.pool must be a pg Pool')
  const batchSize = options.batchSize ?? 10_000
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new InvalidOptionError('batchSize', `must be a positive integer, got ${String(batchSize)}`)
  const binary = options.binary ?? 'hex'
  if (binary !== 'hex' && binary !== 'base64') throw new InvalidOptionError('binary', `must be 'hex' or 'base64', got ${String(binary)}`)
  const asked = options.strategy ?? 'auto'
  if (asked !== 'auto' && asked !== 'cursor' && asked !== 'copy') throw new InvalidOptionError('strategy', `must be 'auto', 'cursor' or 'copy', got ${String(asked)}`)
  const strategy = asked !== 'auto' ? asked : options.mapRow === undefined && (options.params?.length ?? 0) === 0 ? 'copy' : 'cursor'
  if (strategy === 'copy' && options.mapRow !== undefined) throw new InvalidOptionError('mapRow', "the copy strategy reads the key column only; use strategy: 'cursor' or a map() transform")
  if (strategy === 'copy' && (options.params?.length ?? 0) > 0) throw new InvalidOptionError('params', 'COPY takes no parameters; inline them or use the cursor strategy')

  const endpoint = endpointOf(options.pool)
  const provisional = `${endpoint}/${options.table ?? 'query'}`
  const plan = await planQuery(options.pool, options, provisional, endpoint)
  const name = options.name ?? `${endpoint} ${plan.label}${plan.column === undefined ? '' : ` (${plan.column})`}`
  const sorted = options.sorted ?? false
  const column = `q.${quoteIdent(plan.column)}`
  const sql = strategy === 'copy'
    ? orderedQuery(plan, renderExpression(plan.kind, column, binary), sorted, binary, name)
    : orderedQuery(plan, options.mapRow === undefined ? column : '*', sorted, binary, name)

  const source = {
    name,
    sorted,
    estimatedCount: options.estimatedCount ?? plan.estimatedCount,
    scanStartedAt: undefined as Date | undefined,
    [Symbol.asyncIterator]: () => scan<KeyBatch>(options, source, endpoint, held => strategy === 'copy'
      ? copyRows(held.client, held.lost, sql, batchSize, options.signal)
      : cursorRows(held.client, held.lost, { sql, params: plan.params, batchSize, binary, column: plan.column, mapRow: options.mapRow, signal: options.signal })
    )[Symbol.asyncIterator]()
  }
  if (strategy !== 'copy') return source
  // The engine reads COPY's rows as bytes where they lie in the socket's reads: no strings.
  const chunks = (): AsyncIterable<LineChunk> => scan<LineChunk>(options, source, endpoint, held => copyChunks(held.client, held.lost, sql, options.signal))
  return Object.assign(source, { [LINE_CHUNKS]: chunks })
}

/**
 * One scan on a client of its own: a `REPEATABLE READ READ ONLY` transaction (in the shared
 * snapshot when there is one) whose start is recorded before `read` streams the rows.
 */
async function * scan<T> (
  options: PostgresReferencesOptions,
  source: { name: string, scanStartedAt: Date | undefined },
  endpoint: string,
  read: (held: Checkout) => AsyncIterable<T>
): AsyncGenerator<T> {
  const held = await checkout(options.pool, source.name, endpoint)
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
    yield * read(held)
    await client.query('COMMIT')
    clean = true
  } catch (error) {
    throw postgresError(source.name, endpoint, error, options.query === undefined ? 'table' : 'query', true)
  } finally {
    // A scan left early (or broken) may still have a cursor or COPY in flight: drop the session.
    held.release(!clean)
  }
}
