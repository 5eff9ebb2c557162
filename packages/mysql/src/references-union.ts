import { union, type KeySource } from '@keydiff/core'
import type { QuerySpec } from './query-plan.ts'
import { mysqlReferences, type MysqlReferencesOptions, type RowMapper } from './references.ts'
import { mysqlSnapshot, type MysqlSnapshot } from './snapshot.ts'

export interface MysqlReferencePart extends QuerySpec {
  mapRow?: RowMapper
  name?: string
}

export interface MysqlReferencesUnionOptions extends Omit<MysqlReferencesOptions, keyof QuerySpec | 'mapRow' | 'snapshot' | 'name' | 'estimatedCount' | 'sorted'> {
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
 */
export async function mysqlReferencesUnion (options: MysqlReferencesUnionOptions): Promise<KeySource> {
  if (!Array.isArray(options.parts) || options.parts.length === 0) throw new TypeError('mysqlReferencesUnion: parts must list at least one query or table')
  let snapshot: MysqlSnapshot | undefined
  const { parts, name: unionName, ...shared } = options
  const sources = await Promise.all(parts.map(async part => await mysqlReferences({ ...shared, ...part, sorted: false, snapshot: () => snapshot })))
  const joined = union(...sources)
  const source = {
    name: unionName ?? joined.name,
    sorted: false,
    estimatedCount: joined.estimatedCount,
    scanStartedAt: undefined as Date | undefined,
    async * [Symbol.asyncIterator] () {
      snapshot = await mysqlSnapshot(options.pool)
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
