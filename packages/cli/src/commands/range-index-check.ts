import { KeydiffError } from '@keydiff/core'
import type { KeyRange } from '@keydiff/core/adapter'
import type { KeydiffConfig, RunConfig } from '../config/config-types.ts'
import { importPeer } from '../drivers/import-peer.ts'
import { columnRange } from '../run/column-range.ts'
import { Connections } from '../run/connections.ts'
import { sqlSpec, type SqlReference } from '../run/sql-spec.ts'

/** A PostgreSQL reference of a run that every shard would read by scanning a whole table. */
export interface WholeTableReference {
  /** The reference as the config names it: `<database>:<table>.<column>`, or `<database>:<query>`. */
  reference: string
  /** A `table` reference (whose index can be named), or a `query`. */
  kind: 'table' | 'query'
  /** The tables its plan reads in full. */
  tables: string[]
  /** The statements creating the indexes that would serve its ranges; none for a query, or when they exist and the shards are too wide. */
  createIndex: string[]
}

/**
 * With `--require-range-index`: the run is refused before any shard starts, because every
 * shard would read a reference's whole table. Names the index to create.
 */
export class RangeIndexMissingError extends KeydiffError {
  readonly references: readonly WholeTableReference[]

  constructor (run: string, references: readonly WholeTableReference[]) {
    super(`run ${JSON.stringify(run)} refused (--require-range-index): ${references.map(describe).join('; ')}; or leave out --require-range-index to read the references once into per-shard files`, 'KEYDIFF_PLAN_REFUSED')
    this.name = 'RangeIndexMissingError'
    this.references = references
  }
}

/**
 * How a distributed run's shards read its references: `range` (each shard's key range pushed
 * down to the databases, as `keydiff worker` does) unless PostgreSQL's planner would read a
 * pushed-down reference's whole table for every shard; then `scatter` (read once, routed to
 * per-shard files), said on stderr in one line, or, with `require`, a RangeIndexMissingError.
 * A planner that cannot be asked is said too, and the shards read by range.
 */
export async function rangeReads (config: KeydiffConfig, run: RunConfig, ranges: readonly KeyRange[], options: { require: boolean, warn: (line: string) => void }): Promise<'range' | 'scatter'> {
  let whole: WholeTableReference[]
  try {
    whole = await wholeTableReferences(config, run, ranges)
  } catch (error) {
    if (options.require || !(error instanceof KeydiffError)) throw error
    options.warn(`keydiff run: run ${JSON.stringify(run.name)}: could not ask PostgreSQL whether an index serves the shards' ranges (${error.message.replace(/\r?\n/g, ' ')}); the shards read by range`)
    return 'range'
  }
  if (whole.length === 0) return 'range'
  if (options.require) throw new RangeIndexMissingError(run.name, whole)
  options.warn(`keydiff run: run ${JSON.stringify(run.name)}: ${whole.map(describe).join('; ')}; reading the references once into per-shard files instead (as --scatter-references)`)
  return 'scatter'
}

/** The run's PostgreSQL references whose shards' ranges the planner would each read by scanning a whole table. */
async function wholeTableReferences (config: KeydiffConfig, run: RunConfig, ranges: readonly KeyRange[]): Promise<WholeTableReference[]> {
  const databases = config.databases ?? {}
  const pushed = run.references.filter((reference): reference is SqlReference =>
    'database' in reference && !('collection' in reference) && databases[reference.database]?.type === 'postgres' && reference.template === undefined)
  if (pushed.length === 0) return []
  const pg = await importPeer(async () => await import('@keydiff/postgres'), 'a postgres database', ['@keydiff/postgres', 'pg'])
  const connections = new Connections(databases)
  try {
    const whole: WholeTableReference[] = []
    for (const reference of pushed) {
      // as a shard's worker maps its range to the column (build-references), once per distinct range
      const columnRanges = new Map(ranges.flatMap(range => {
        const mapped = columnRange(range, reference)
        return mapped === undefined ? [] : [[JSON.stringify(mapped), mapped] as const]
      }))
      if (columnRanges.size === 0) continue
      const client = await connections.postgres(reference.database)
      const scan = await pg.postgresRangeScan({ client, ...sqlSpec(reference), ranges: [...columnRanges.values()] })
      if (scan.wholeTable) {
        whole.push({
          reference: `${reference.database}:${'query' in reference ? reference.query : `${reference.table}.${reference.column}`}`,
          kind: 'query' in reference ? 'query' : 'table',
          tables: [...new Set(scan.reads.flatMap(read => read.wholeTables))],
          createIndex: scan.createIndex
        })
      }
    }
    return whole
  } finally {
    await connections.closeAll()
  }
}

/** One reference's whole-table reads, and what would serve its ranges. */
function describe (read: WholeTableReference): string {
  const what = `every shard would read reference ${read.reference} by scanning ${read.tables.join(', ')} whole`
  if (read.createIndex.length > 0) return `${what} (no index serves its key range; to serve it: ${read.createIndex.join('; ')})`
  if (read.kind === 'query') return `${what} (its query's plan reads the table in full)`
  return `${what} (the indexes exist, but the planner reads the table for ranges this wide: more --shards narrow them)`
}
