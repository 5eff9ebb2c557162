import type { PoolClient } from 'pg'
import { InvalidOptionError } from '@keydiff/core'
import { checkedRange, specOption } from '@keydiff/sql-kit'
import { checkout } from './checkout.ts'
import { caller, poolOf, type PostgresClientOption } from './client-option.ts'
import { endpointOf } from './endpoint.ts'
import { postgresError } from './errors.ts'
import { qualified, quoteIdent, quoteLiteral } from './identifiers.ts'
import { comparedKey, holdsRangeBounds, patternCondition, setRangeBounds, type PostgresKeyRange } from './key-range.ts'
import { renderExpression, type BinaryEncoding } from './key-types.ts'
import { planReads, type BoundedRead, type PlanNode, type PlanReads } from './plan-reads.ts'
import { orderedQuery, planQuery, queryWhere, specQuery, type QueryPlan, type QuerySpec } from './query-plan.ts'

export interface PostgresRangeScanFields extends QuerySpec {
  /**
   * The ranges to ask about, as `postgresReferences`' `range` takes them (each with a bound):
   * a few of a run's shards. The planner's choice depends on how many rows a range holds, so
   * give ranges of the width the run will read.
   */
  ranges: readonly PostgresKeyRange[]
  /** As the source would read: `ORDER BY key COLLATE "C"`. @default false */
  sorted?: boolean
  /** How a bytea key column is rendered (what a range compares). @default 'hex' */
  binary?: BinaryEncoding
  /** @default `postgres://user@host:port/db <table or query> (<column>)` */
  name?: string
}

/** `client` (the user's pg Pool), the source's query and the ranges. */
export type PostgresRangeScanOptions = PostgresRangeScanFields & PostgresClientOption

/** How the server would read one range. */
export interface PostgresRangeRead extends PlanReads {
  range: PostgresKeyRange
  /**
   * `index`: every table is read through an index whose condition holds the range's bounds
   * (and, with `alsoMatching`, a partial index of its pattern). `whole-table`: some table is
   * read in full and its rows filtered (`wholeTables`).
   */
  access: 'index' | 'whole-table'
}

/** What the planner said about a source's ranges. */
export interface PostgresRangeScan {
  /** Every range given would be read by reading a whole table: a shard per range would each read all of it. */
  wholeTable: boolean
  /** How each range would be read, in the order given. */
  reads: PostgresRangeRead[]
  /**
   * When a range is read whole, for a `table`: the indexes that would serve it, as statements
   * (`CREATE INDEX CONCURRENTLY ON t (("k" COLLATE "C"))`, and for `alsoMatching` a partial
   * index of its pattern), each one the planner found no index for even with sequential scans
   * turned off. Empty when every range is read through an index, for a `query`, and when the
   * indexes exist but the planner still reads the table (a range holding much of it: narrower
   * ranges use them).
   */
  createIndex: string[]
}

/**
 * Asks PostgreSQL how it would read the given key ranges of a source (the query
 * `postgresReferences` runs with `range`, its bounds set as a scan sets them): `EXPLAIN
 * (FORMAT JSON)` of each, in one read-only transaction. A range is read whole when the plan
 * scans a table in full (a Seq Scan, or an index read end to end) and filters its rows;
 * every shard of a distributed run would then read the whole table. Nothing is read but the
 * catalog and the plans.
 */
export async function postgresRangeScan (options: PostgresRangeScanOptions): Promise<PostgresRangeScan> {
  const pool = poolOf(options, 'postgresRangeScan')
  const ranges = checkedRanges(options.ranges)
  const binary = options.binary ?? 'hex'
  if (binary !== 'hex' && binary !== 'base64') throw new InvalidOptionError('binary', `must be 'hex' or 'base64', got ${String(binary)}`)
  const endpoint = endpointOf(pool)
  const { label } = specQuery(options)
  const name = options.name ?? `${endpoint} ${label}${options.column === undefined ? '' : ` (${options.column})`}`
  const plan = await planQuery(pool, options, name, endpoint)
  const column = `q.${quoteIdent(plan.column)}`
  const select = renderExpression(plan.kind, column, binary)
  const sorted = options.sorted ?? false
  const held = await checkout(pool, name, endpoint)
  try {
    const { client } = held
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    const explained: PlanNode[] = []
    for (const range of ranges) explained.push(await explain(client, { text: orderedQuery(plan, select, sorted, binary, name, range), values: [...plan.params] }, range))
    const bounded = await boundedReads(client, explained)
    const reads = ranges.map((range, i): PostgresRangeRead => {
      const read = planReads(explained[i] as PlanNode, bounded(range.alsoMatching))
      return { range, access: read.wholeTables.length === 0 ? 'index' : 'whole-table', ...read }
    })
    const wholeRead = reads.find(read => read.access === 'whole-table')
    const createIndex = wholeRead === undefined || options.table === undefined
      ? []
      : await missingIndexes(client, { plan, select, binary, name, range: wholeRead.range, table: qualified(options.table, options.schema), bounded })
    await client.query('ROLLBACK')
    held.release()
    return { wholeTable: reads.every(read => read.access === 'whole-table'), reads, createIndex }
  } catch (error) {
    held.release(true)
    throw postgresError(name, endpoint, error, specOption(options))
  }
}

function checkedRanges (ranges: readonly PostgresKeyRange[] | undefined): PostgresKeyRange[] {
  if (!Array.isArray(ranges) || ranges.length === 0) throw new TypeError(`${caller('postgresRangeScan').adapter} postgresRangeScan: option ranges must list at least one range`)
  return ranges.map(range => {
    const checked = checkedRange(range)
    if (checked === undefined) throw new InvalidOptionError('ranges', 'each range needs a bound, after or upTo (without one the query reads every row)')
    return checked
  })
}

/** The plan of a query (and its `params`), with the range's bounds set as a scan sets them. */
async function explain (client: PoolClient, query: { text: string, values: unknown[] }, range: PostgresKeyRange): Promise<PlanNode> {
  await setRangeBounds(client, range)
  const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({ text: `EXPLAIN (FORMAT JSON, VERBOSE) ${query.text}`, values: query.values })
  const plan = rows[0]?.['QUERY PLAN'][0]?.Plan
  if (plan === undefined) throw new TypeError('EXPLAIN returned no plan')
  return plan
}

/**
 * Which index reads are bounded, for a range's `alsoMatching`: those whose condition holds
 * the range's bounds, and those of a partial index whose predicate holds the pattern (its
 * condition is then only `k IS NOT NULL`). The predicates come from the catalog.
 */
async function boundedReads (client: PoolClient, plans: readonly PlanNode[]): Promise<(alsoMatching: string | undefined) => BoundedRead> {
  const schemas = new Set<string>()
  const collect = (node: PlanNode): void => {
    if (node.Schema !== undefined) schemas.add(node.Schema)
    for (const child of node.Plans ?? []) collect(child)
  }
  for (const plan of plans) collect(plan)
  const { rows } = await client.query<{ schema: string, index: string, predicate: string }>({
    text: `SELECT n.nspname AS schema, c.relname AS index, pg_get_expr(i.indpred, i.indrelid) AS predicate
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE i.indpred IS NOT NULL AND n.nspname = ANY($1::text[])`,
    values: [[...schemas]]
  })
  const predicates = new Map(rows.map(row => [`${row.schema}.${row.index}`, row.predicate]))
  return alsoMatching => (schema, index, condition) =>
    holdsRangeBounds(condition ?? '') ||
    (alsoMatching !== undefined && predicates.get(`${schema ?? ''}.${index}`)?.includes(quoteLiteral(alsoMatching)) === true)
}

/**
 * The indexes a range read whole lacks: with sequential scans off, the planner reads the
 * range's bounds, and the `alsoMatching` rows, through an index if one serves them.
 */
async function missingIndexes (client: PoolClient, context: {
  plan: QueryPlan
  select: string
  binary: BinaryEncoding
  name: string
  range: PostgresKeyRange
  table: string
  bounded: (alsoMatching: string | undefined) => BoundedRead
}): Promise<string[]> {
  const { plan, select, binary, name, range, table, bounded } = context
  const column = `q.${quoteIdent(plan.column)}`
  const key = comparedKey(plan.kind, quoteIdent(plan.column), binary)
  await client.query('SET LOCAL enable_seqscan = off')
  const statements: string[] = []
  const { alsoMatching, ...bounds } = range
  const byBounds = await explain(client, { text: orderedQuery(plan, select, false, binary, name, bounds), values: [...plan.params] }, bounds)
  if (planReads(byBounds, bounded(undefined)).wholeTables.length > 0) statements.push(`CREATE INDEX CONCURRENTLY ON ${table} ((${key} COLLATE "C"))`)
  if (alsoMatching !== undefined) {
    const byPattern = await explain(client, { text: queryWhere(plan, select, false, binary, name, patternCondition(alsoMatching, plan.kind, column, binary)), values: [...plan.params] }, bounds)
    if (planReads(byPattern, bounded(alsoMatching)).wholeTables.length > 0) {
      statements.push(`CREATE INDEX CONCURRENTLY ON ${table} (${quoteIdent(plan.column)}) WHERE ${key} COLLATE "C" ~ ${quoteLiteral(alsoMatching)}`)
    }
  }
  return statements
}
