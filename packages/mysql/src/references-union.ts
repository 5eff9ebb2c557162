import { snapshotUnion } from '@keydiff/sql-kit'
import { poolOf, type MysqlClientOption } from './client-option.ts'
import type { QuerySpec } from './query-plan.ts'
import { mysqlReferences, type MysqlReferencesFields, type MysqlReferencesSource, type RowMapper } from './references.ts'
import { mysqlSnapshot } from './snapshot.ts'

export interface MysqlReferencePart extends QuerySpec {
  mapRow?: RowMapper
  name?: string
}

/** `client`, the parts, and the options every part shares. */
export type MysqlReferencesUnionOptions = MysqlClientOption & Omit<MysqlReferencesFields, keyof QuerySpec | 'mapRow' | 'snapshot' | 'name' | 'estimatedCount' | 'sorted'> & {
  /** One query or table per database (DataJoint: one external table per schema). */
  parts: readonly MysqlReferencePart[]
  /** @default `union(<part names>)` */
  name?: string
}

/**
 * The references of several databases of one server as one source, read one after another
 * in one consistent snapshot, so a bucket they share is never cleaned against a partial or
 * inconsistent set. MySQL cannot share a snapshot between sessions, so the union is not
 * sorted; for a sorted union, give mysqlReferences one `UNION ALL` query and `sorted: true`.
 * Made without I/O, like its parts.
 */
export function mysqlReferencesUnion (options: MysqlReferencesUnionOptions): MysqlReferencesSource {
  const pool = poolOf(options, 'mysqlReferencesUnion')
  if (!Array.isArray(options.parts) || options.parts.length === 0) throw new TypeError('@keydiff/mysql mysqlReferencesUnion: option parts must list at least one query or table')
  const { parts, name, client: _client, pool: _pool, ...shared } = options
  return snapshotUnion({
    name,
    sorted: false,
    parts: snapshot => parts.map(part => mysqlReferences({ ...shared, ...part, client: pool, sorted: false, snapshot })),
    open: async () => await mysqlSnapshot(pool)
  })
}
