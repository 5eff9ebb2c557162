import { InvalidOptionError, SourceError, type KeyBatch, type KeyEntry, type KeySource } from '@keydiff/core'
import { lineChunkBatches, type LineChunk } from '@keydiff/core/adapter'
import { batchChunks, checkedRange, plannedSource, positiveInteger, rangeWithMapRow, specOption, unsortableKey, type ScanState } from '@keydiff/sql-kit'
import { poolOf, type MysqlClientOption } from './client-option.ts'
import { mysqlError } from './errors.ts'
import { rangeCondition, type MysqlKeyRange } from './key-range.ts'
import { renderKey, orderExpression, selectExpression, type BinaryEncoding } from './key-types.ts'
import { checkout, corePool, endpointOf, quoteIdent, run, type Checkout } from './pool.ts'
import { planQuery, specQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'
import { rowChunks } from './row-chunks.ts'
import { beginSnapshot, sessions, type MysqlSnapshot } from './snapshot.ts'
import { streamRows } from './stream-rows.ts'

/** Maps a row (all its columns by name) to a key or an entry; a reference is never dropped. */
export type RowMapper = (row: Record<string, unknown>) => string | KeyEntry

export interface MysqlReferencesFields extends QuerySpec {
  /** List in UTF-8 byte order (ORDER BY the key's bytes) and declare the source sorted. @default false */
  sorted?: boolean
  /** Rows per batch. @default 10000 */
  batchSize?: number
  /** How a binary key column is rendered. @default 'hex' */
  binary?: BinaryEncoding
  /** Builds the key (or entry) from the whole row. @default the key column's value */
  mapRow?: RowMapper
  /** Read on this snapshot's connection (shared with other sources of the run, one at a time). @default a snapshot of its own per scan */
  snapshot?: MysqlSnapshot | (() => MysqlSnapshot | undefined)
  /**
   * Read only the keys of this byte-order range `(after, upTo]` (and those `alsoMatching`
   * matches), selected by the query with a binary comparison: see MysqlKeyRange. Only for a
   * key that is the column as stored: with `mapRow` the key is built from the row and its
   * order is not the column's, so a range is refused (KEYDIFF_INVALID_OPTION); filter the
   * keys instead. @default every row
   */
  range?: MysqlKeyRange
  /** @default `mysql://user@host:port/db <table or query> (<column>)` */
  name?: string
  /** @default the table's statistics (TABLE_ROWS), known once the source is planned; none for a query */
  estimatedCount?: number
  signal?: AbortSignal
}

/** `client` (the user's mysql2 pool; one connection per scan) and where the keys come from. */
export type MysqlReferencesOptions = MysqlReferencesFields & MysqlClientOption

/**
 * A reference source that asks the server on first iteration; awaiting it asks at once (what
 * the query returns, so a wrong column fails there, and the table's row estimate).
 */
export type MysqlReferencesSource = KeySource & PromiseLike<KeySource>

interface Planned { plan: QueryPlan, sql: string, params: readonly unknown[], raw: boolean }

/**
 * Reference keys from a MySQL/MariaDB query or table column, streamed row by row without
 * loading the result, inside `START TRANSACTION WITH CONSISTENT SNAPSHOT`; the server time
 * just before it is the source's `scanStartedAt`. Made without I/O: the spec and options are
 * checked at once, the server is asked what the query returns when the source is first read
 * (or awaited).
 */
export function mysqlReferences (options: MysqlReferencesOptions): MysqlReferencesSource {
  const pool = poolOf(options, 'mysqlReferences')
  const batchSize = positiveInteger(options.batchSize ?? 10_000, 'batchSize')
  const binary = options.binary ?? 'hex'
  if (binary !== 'hex' && binary !== 'base64' && binary !== 'utf8') throw new InvalidOptionError('binary', `must be 'hex', 'base64' or 'utf8', got ${String(binary)}`)
  const endpoint = endpointOf(pool)
  const name = options.name ?? `${endpoint} ${specQuery(options).label}${options.column === undefined ? '' : ` (${options.column})`}`
  const sorted = options.sorted ?? false
  const mapRow = options.mapRow
  const range = checkedRange(options.range)
  if (range !== undefined && mapRow !== undefined) throw rangeWithMapRow()
  // The key column as it arrives, UTF-8 text (integers are selected as text), is read from
  // mysql2's packets without row objects; anything else goes through mysql2's row events.
  const typeCast = (pool as unknown as { config?: { connectionConfig?: { typeCast?: unknown } } }).config?.connectionConfig?.typeCast
  const bytePath = mapRow === undefined && typeof typeCast !== 'function'

  const planned = async (): Promise<Planned> => {
    const plan = await planQuery(pool, options, name, endpoint)
    const column = `q.${quoteIdent(plan.column)}`
    const order = orderExpression(plan.kind, column, binary)
    if (sorted && order === undefined) throw unsortableKey(name, plan.kind, plan.kind === 'integer' ? 'in decimal' : `as ${binary}`, plan.kind === 'binary')
    const select = mapRow === undefined ? selectExpression(plan.kind, column) : `q.*, ${selectExpression(plan.kind, column)} AS \`keydiff$key\``
    const inRange = range === undefined ? undefined : rangeCondition(range, plan.kind, column, binary)
    const sql = `SELECT ${select} FROM (${plan.base}) AS q WHERE ${column} IS NOT NULL${inRange === undefined ? '' : ` AND (${inRange.sql})`}${sorted ? ` ORDER BY ${order as string}` : ''}`
    return { plan, sql, params: [...plan.params, ...(inRange?.params ?? [])], raw: bytePath && (plan.kind === 'integer' || (plan.kind === 'text' && plan.encoding === 'utf8')) }
  }
  const rows = ({ plan, sql, params }: Planned, held: Checkout): AsyncIterable<KeyBatch> => streamRows(held.connection, held.lost, {
    sql,
    params,
    batchSize,
    rowsAsArray: mapRow === undefined,
    toEntry: mapRow === undefined
      ? (row: unknown) => {
          const key = renderKey((row as unknown[])[0], binary)
          return key === undefined ? undefined : { key }
        }
      : (row: unknown) => mapped(row as Record<string, unknown>, mapRow, plan, binary),
    signal: options.signal
  })
  const chunks = (planned: Planned, held: Checkout): AsyncIterable<LineChunk> => rowChunks(held.connection, held.lost, planned.sql, planned.params, options.signal)
  return plannedSource<Planned>({
    name,
    sorted,
    estimatedCount: options.estimatedCount,
    plan: planned,
    estimateOf: ({ plan }) => plan.estimatedCount,
    batches: (planned, state) => scan(options, pool, state, endpoint, held => planned.raw ? lineChunkBatches(chunks(planned, held), batchSize) : rows(planned, held)),
    // The engine hashes the keys where they lie in the socket's reads: no strings. A column
    // that must be decoded first (binary, another character set) comes to it encoded again.
    chunks: bytePath ? (planned, state) => scan(options, pool, state, endpoint, held => planned.raw ? chunks(planned, held) : batchChunks(rows(planned, held))) : undefined
  })
}

function mapped (row: Record<string, unknown>, mapRow: RowMapper, plan: QueryPlan, binary: BinaryEncoding): KeyEntry {
  const { 'keydiff$key': key, ...columns } = row
  if (plan.kind === 'integer') columns[plan.column] = key
  const out = mapRow(columns)
  if (typeof out === 'string') return { key: out }
  if (out !== null && typeof out === 'object' && typeof out.key === 'string') return out
  throw new TypeError(`mapRow returned ${String(out)} for the row with ${plan.column} = ${JSON.stringify(renderKey(key, binary))}; it must return a key or an entry`)
}

/** One scan: a consistent-snapshot transaction (or the shared snapshot's connection) in which `read` streams the rows. */
async function * scan<T> (
  options: MysqlReferencesOptions,
  pool: ReturnType<typeof corePool>,
  source: ScanState,
  endpoint: string,
  read: (held: Checkout) => AsyncIterable<T>
): AsyncGenerator<T> {
  const snapshot = typeof options.snapshot === 'function' ? options.snapshot() : options.snapshot
  const shared = snapshot === undefined ? undefined : sessions.get(snapshot)
  if (snapshot !== undefined && shared === undefined) throw new InvalidOptionError('snapshot', 'must come from mysqlSnapshot()')
  if (shared?.busy === true) throw new InvalidOptionError('snapshot', `${source.name}: the snapshot's connection is streaming another source; MySQL reads one query at a time per snapshot, so read these sources one after another (an unsorted union) or give each its own snapshot`)
  if (shared?.broken === true) throw new SourceError(source.name, 'the snapshot was left in the middle of a query; open a new one')
  let held: Checkout
  if (shared !== undefined) {
    held = shared.held
    shared.busy = true
  } else {
    held = await checkout(pool, source.name, endpoint)
  }
  let clean = false
  try {
    source.scanStartedAt = snapshot !== undefined ? snapshot.startedAt : await beginSnapshot(held)
    yield * read(held)
    if (shared === undefined) await run(held.connection, 'COMMIT')
    clean = true
  } catch (error) {
    throw mysqlError(source.name, endpoint, error, specOption(options))
  } finally {
    if (shared !== undefined) {
      shared.busy = false
      // A scan left early still has rows in flight on the shared connection.
      if (!clean) shared.broken = true
    } else {
      held.release(!clean)
    }
  }
}
