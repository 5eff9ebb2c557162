import { snapshotUnion } from '@keydiff/sql-kit'
import { poolOf, type PostgresClientOption } from './client-option.ts'
import type { RowMapper } from './cursor-rows.ts'
import type { QuerySpec } from './query-plan.ts'
import { postgresReferences, type PostgresReferencesFields, type PostgresReferencesSource } from './references.ts'
import { postgresSnapshot } from './snapshot.ts'

export interface PostgresReferencePart extends QuerySpec {
  mapRow?: RowMapper
  name?: string
}

/** `client`, the parts, and the options every part shares. */
export type PostgresReferencesUnionOptions = PostgresClientOption & Omit<PostgresReferencesFields, keyof QuerySpec | 'mapRow' | 'snapshot' | 'name' | 'estimatedCount'> & {
  /** One query or table per schema (DataJoint: one external table per schema). */
  parts: readonly PostgresReferencePart[]
  /** @default `union(<part names>)` */
  name?: string
}

/**
 * The references of several schemas (or queries) of one database as one source, all read in
 * one exported snapshot, so a bucket they share is never cleaned against a partial or
 * inconsistent set. Sorted parts are merged (one session each: the pool needs parts + 1
 * clients); otherwise they are read one after another. Made without I/O, like its parts.
 */
export function postgresReferencesUnion (options: PostgresReferencesUnionOptions): PostgresReferencesSource {
  const pool = poolOf(options, 'postgresReferencesUnion')
  if (!Array.isArray(options.parts) || options.parts.length === 0) throw new TypeError('@keydiff/postgres postgresReferencesUnion: option parts must list at least one query or table')
  const { parts, name, client: _client, pool: _pool, ...shared } = options
  return snapshotUnion({
    name,
    sorted: options.sorted ?? false,
    parts: snapshot => parts.map(part => postgresReferences({ ...shared, ...part, client: pool, snapshot })),
    open: async () => await postgresSnapshot(pool)
  })
}
