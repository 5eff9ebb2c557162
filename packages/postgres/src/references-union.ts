import type { Pool } from 'pg'
import { union, type KeySource } from '@keydiff/core'
import type { RowMapper } from './cursor-rows.ts'
import type { QuerySpec } from './query-plan.ts'
import { postgresReferences, type PostgresReferencesOptions } from './references.ts'
import { postgresSnapshot, type PostgresSnapshot } from './snapshot.ts'

export interface PostgresReferencePart extends QuerySpec {
  mapRow?: RowMapper
  name?: string
}

export interface PostgresReferencesUnionOptions extends Omit<PostgresReferencesOptions, keyof QuerySpec | 'mapRow' | 'snapshot' | 'name' | 'estimatedCount'> {
  pool: Pool
  /** One query or table per schema (DataJoint: one external table per schema). */
  parts: readonly PostgresReferencePart[]
  /** @default `union(<part names>)` */
  name?: string
}

/**
 * The references of several schemas (or queries) of one database as one source, all read in
 * one exported snapshot, so a bucket they share is never cleaned against a partial or
 * inconsistent set. Sorted parts are merged (one session each: the pool needs parts + 1
 * clients); otherwise they are read one after another.
 */
export async function postgresReferencesUnion (options: PostgresReferencesUnionOptions): Promise<KeySource> {
  if (!Array.isArray(options.parts) || options.parts.length === 0) throw new TypeError('postgresReferencesUnion: parts must list at least one query or table')
  let snapshot: PostgresSnapshot | undefined
  const { parts, name: unionName, ...shared } = options
  const sources = await Promise.all(parts.map(async part => await postgresReferences({ ...shared, ...part, snapshot: () => snapshot })))
  const joined = union(...sources)
  const source = {
    name: unionName ?? joined.name,
    sorted: joined.sorted,
    estimatedCount: joined.estimatedCount,
    scanStartedAt: undefined as Date | undefined,
    async * [Symbol.asyncIterator] () {
      snapshot = await postgresSnapshot(options.pool)
      source.scanStartedAt = snapshot.startedAt
      try {
        yield * joined
      } finally {
        await snapshot.release()
        snapshot = undefined
      }
    }
  }
  return source
}
