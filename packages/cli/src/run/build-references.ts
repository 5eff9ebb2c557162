import { resolve } from 'node:path'
import { addPrefix, csvSource, jsonLinesSource, linesSource, type KeySource, type PointLookup } from '@keydiff/core'
import type { ReferenceConfig, RunConfig } from '../config/config-types.ts'
import { ConfigError } from '../config/config-error.ts'
import type { Connections } from './connections.ts'
import { rowMapper } from './key-template.ts'

export interface RunReferences {
  sources: KeySource[]
  /** Sources that can answer point look-ups, for the re-check before acting. */
  lookups: PointLookup[]
  /** References whose keys cannot be looked up again (templated SQL rows). */
  withoutRecheck: string[]
  /** Ends the snapshots opened for this run. */
  release: () => Promise<void>
}

/**
 * The reference sources of a run, and their point look-ups. All SQL references of one
 * database read one snapshot, so a run never mixes two points in time of the same database.
 */
export async function buildReferences (run: RunConfig, connections: Connections, baseDir: string, file: string): Promise<RunReferences> {
  const sources: KeySource[] = []
  const lookups: PointLookup[] = []
  const withoutRecheck: string[] = []
  const snapshots = new Map<string, { release: () => Promise<void> }>()
  const release = async (): Promise<void> => {
    await Promise.allSettled([...snapshots.values()].map(async snapshot => { await snapshot.release() }))
  }
  try {
    for (const [i, reference] of run.references.entries()) {
      const where = `runs.${run.name}.references[${i}]`
      if ('file' in reference) {
        sources.push(fileReference(reference, resolve(baseDir, reference.file), where, file))
        continue
      }
      const database = connections.config(reference.database)
      const prefix = reference.prefix ?? ''
      const toColumnKey = (key: string): string | undefined => key.startsWith(prefix) ? key.slice(prefix.length) : undefined
      if (database.type === 'postgres' && !('collection' in reference)) {
        const pg = await import('@keydiff/postgres')
        const pool = await connections.postgres(reference.database)
        let snapshot = snapshots.get(reference.database) as Awaited<ReturnType<typeof pg.postgresSnapshot>> | undefined
        if (snapshot === undefined) {
          snapshot = await pg.postgresSnapshot(pool)
          snapshots.set(reference.database, snapshot)
        }
        const spec = sqlSpec(reference)
        const name = `${reference.database}:${spec.query ?? `${spec.table ?? ''}.${spec.column ?? ''}`}`
        const mapRow = rowMapper(reference, name)
        const source = await pg.postgresReferences({ pool, ...spec, ...(mapRow === undefined ? {} : { mapRow, columns: undefined }), snapshot, name })
        sources.push(mapRow === undefined && prefix !== '' ? addPrefix(prefix)(source) : source)
        if (mapRow === undefined) lookups.push(pg.postgresLookup({ pool, ...spec, toColumnKey, name }))
        else withoutRecheck.push(name)
      } else if (database.type === 'mysql' && !('collection' in reference)) {
        const my = await import('@keydiff/mysql')
        const pool = await connections.mysql(reference.database)
        let snapshot = snapshots.get(reference.database) as Awaited<ReturnType<typeof my.mysqlSnapshot>> | undefined
        if (snapshot === undefined) {
          snapshot = await my.mysqlSnapshot(pool)
          snapshots.set(reference.database, snapshot)
        }
        // In MySQL the qualifier of `db.table` is a database.
        const { schema, ...unqualified } = sqlSpec(reference)
        const spec = { ...unqualified, ...(schema === undefined ? {} : { database: schema }) }
        const name = `${reference.database}:${spec.query ?? `${spec.table ?? ''}.${spec.column ?? ''}`}`
        const mapRow = rowMapper(reference, name)
        const source = await my.mysqlReferences({ pool, ...spec, ...(mapRow === undefined ? {} : { mapRow }), snapshot, name })
        sources.push(mapRow === undefined && prefix !== '' ? addPrefix(prefix)(source) : source)
        if (mapRow === undefined) lookups.push(my.mysqlLookup({ pool, ...spec, toColumnKey, name }))
        else withoutRecheck.push(name)
      } else if (database.type === 'mongo' && 'collection' in reference) {
        const mongo = await import('@keydiff/mongo')
        const client = await connections.mongo(reference.database)
        const options = {
          client,
          database: database.database ?? 'test',
          collection: reference.collection,
          ...(reference.field === undefined ? {} : { field: reference.field }),
          ...(reference.template === undefined ? {} : { template: reference.template }),
          ...(reference.filter === undefined ? {} : { filter: reference.filter })
        }
        const source = mongo.mongoReferences(options)
        sources.push(prefix === '' ? source : addPrefix(prefix)(source))
        if (prefix === '') lookups.push(mongo.mongoLookup(options))
        else withoutRecheck.push(source.name)
      } else {
        throw new ConfigError(file, `runs.${run.name}.references[${i}]`, undefined, `a ${database.type} database cannot serve this reference`)
      }
    }
    return { sources, lookups, withoutRecheck, release }
  } catch (error) {
    await release()
    throw error
  }
}

/** `schema.table` in the config is the adapters' `schema` and `table` options. */
function sqlSpec (reference: ReferenceConfig): { query?: string, schema?: string, table?: string, column?: string, where?: string } {
  if ('query' in reference) return { query: reference.query }
  if (!('table' in reference)) return {}
  const dot = reference.table.indexOf('.')
  const names = dot < 0 ? { table: reference.table } : { schema: reference.table.slice(0, dot), table: reference.table.slice(dot + 1) }
  return { ...names, column: reference.column, ...(reference.where === undefined ? {} : { where: reference.where }) }
}

function fileReference (reference: Extract<ReferenceConfig, { file: string }>, path: string, where: string, file: string): KeySource {
  if (reference.template !== undefined) throw new ConfigError(file, `${where}.template`, undefined, 'templates apply to database references; map file references with prefix')
  const name = `file:${path}`
  const format = reference.format ?? (path.endsWith('.jsonl') ? 'jsonl' : path.endsWith('.csv') ? 'csv' : 'lines')
  let source: KeySource
  if (format === 'jsonl') {
    if (reference.field === undefined) throw new ConfigError(file, `${where}.field`, undefined, 'JSON Lines references need the field that holds the key')
    source = jsonLinesSource(path, { field: reference.field, name })
  } else if (format === 'csv') {
    source = csvSource(path, { column: reference.column ?? 0, name })
  } else {
    source = linesSource(path, { name })
  }
  return reference.prefix === undefined ? source : addPrefix(reference.prefix)(source)
}
