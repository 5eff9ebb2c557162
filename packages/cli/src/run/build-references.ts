import { resolve } from 'node:path'
import { addPrefix, csvSource, KeydiffError, jsonLinesSource, linesSource, sortedFileSource, stripPrefix, type KeySource, type PointLookup, type SortedFileSource } from '@keydiff/core'
import { rowMapper, type KeyRange } from '@keydiff/core/adapter'
import type { KeydiffConfig, ReferenceConfig, RunConfig } from '../config/config-types.ts'
import { importPeer } from '../drivers/import-peer.ts'
import { columnRange } from './column-range.ts'
import type { Connections } from './connections.ts'
import { inRunContext } from './run-context.ts'
import type { VerifiedSortedFile } from './run-description.ts'
import { sqlSpec, sqlSpecName } from './sql-spec.ts'

export interface RunReferences {
  sources: KeySource[]
  /** Sources that can answer point look-ups, for the re-check before acting. */
  lookups: PointLookup[]
  /** References whose keys cannot be looked up again (templated SQL rows). */
  withoutRecheck: string[]
  /** The sorted files read by the byte range of the shard's keys (what each read is known once it ends). */
  byteRangeReads: SortedFileSource[]
  /** Ends the snapshots opened for this run. */
  release: () => Promise<void>
}

export interface BuildReferencesOptions {
  /**
   * The store keys a shard plans, `(after, upTo]`: the database references whose key is the
   * column as stored (no `template`) read only the rows of that range, and every row whose
   * key may resolve elsewhere (columnRange), by their query; so do the `sorted` files of
   * `sortedFiles`, by their byte range. Other files, and references whose key a template
   * builds, are read whole; the shard keeps their keys of the range. @default every row
   */
  range?: KeyRange | undefined
  /**
   * The `sorted = true` files a run's coordinator found sorted, holding no key that may
   * resolve elsewhere: only these are read by range, and only while their size and
   * modification time are still those it found. @default none: every file is read whole
   */
  sortedFiles?: readonly VerifiedSortedFile[] | undefined
}

/**
 * The reference sources of a run (one per `references` entry, in order), and their point
 * look-ups. All SQL references of one database read one snapshot, so a run never mixes two
 * points in time of the same database. A failure names the run and the reference's key.
 */
export async function buildReferences (run: RunConfig, connections: Connections, baseDir: string, file: string, config: KeydiffConfig, options: BuildReferencesOptions = {}): Promise<RunReferences> {
  const sources: KeySource[] = []
  const lookups: PointLookup[] = []
  const withoutRecheck: string[] = []
  const byteRangeReads: SortedFileSource[] = []
  const snapshots = new Map<string, { release: () => Promise<void> }>()
  const release = async (): Promise<void> => {
    await Promise.allSettled([...snapshots.values()].map(async snapshot => { await snapshot.release() }))
  }
  // one snapshot per database, shared by all of its references
  const snapshotOf = async <T extends { release: () => Promise<void> }> (database: string, open: () => Promise<T>): Promise<T> => {
    const held = snapshots.get(database) as T | undefined
    if (held !== undefined) return held
    const snapshot = await open()
    snapshots.set(database, snapshot)
    return snapshot
  }
  try {
    const index = config.runs.indexOf(run)
    for (const [i, reference] of run.references.entries()) {
      try {
        await addReference(reference, i)
      } catch (error) {
        throw inRunContext(error, { config, file, run: run.name, path: ['runs', index, 'references', i] })
      }
    }
    return { sources, lookups, withoutRecheck, byteRangeReads, release }
  } catch (error) {
    await release()
    throw error
  }

  async function addReference (reference: ReferenceConfig, position: number): Promise<void> {
    const mapKeys = keyMapping(reference)
    if ('file' in reference) {
      const path = resolve(baseDir, reference.file)
      sources.push(mapKeys(sortedFileRange(reference, position, path) ?? fileReference(reference, path)))
      return
    }
    const database = connections.config(reference.database)
    const prefix = reference.prefix ?? ''
    const strip = reference.stripPrefix ?? ''
    // A store key is looked up as the column holds it; with onMismatch = "keep" a column may hold it either way, so no look-up can be trusted.
    const recheckable = reference.onMismatch !== 'keep'
    const toColumnKey = (key: string): string | undefined => key.startsWith(prefix) ? strip + key.slice(prefix.length) : undefined
    // a template builds the key from the row: no range of the column holds a range of its keys
    const pushed = options.range === undefined || reference.template !== undefined ? undefined : columnRange(options.range, reference)
    const range = pushed === undefined ? {} : { range: pushed }
    if (database.type === 'postgres' && !('collection' in reference)) {
      const pg = await importPeer(async () => await import('@keydiff/postgres'), 'a postgres database', ['@keydiff/postgres', 'pg'])
      const pool = await connections.postgres(reference.database)
      const snapshot = await snapshotOf(reference.database, async () => await pg.postgresSnapshot(pool))
      const spec = sqlSpec(reference)
      const name = sqlSpecName(reference.database, spec)
      const mapRow = rowMapper({ template: reference.template }, name)
      const source = await pg.postgresReferences({ client: pool, ...spec, ...(mapRow === undefined ? range : { mapRow, columns: undefined }), snapshot, name })
      sources.push(mapKeys(source))
      if (mapRow === undefined && recheckable) lookups.push(pg.postgresLookup({ client: pool, ...spec, toColumnKey, name }))
      else withoutRecheck.push(name)
    } else if (database.type === 'mysql' && !('collection' in reference)) {
      const my = await importPeer(async () => await import('@keydiff/mysql'), 'a mysql database', ['@keydiff/mysql', 'mysql2'])
      const pool = await connections.mysql(reference.database)
      const snapshot = await snapshotOf(reference.database, async () => await my.mysqlSnapshot(pool))
      // In MySQL the qualifier of `db.table` is a database.
      const qualified = sqlSpec(reference)
      const name = sqlSpecName(reference.database, qualified)
      const { schema, ...unqualified } = 'query' in qualified ? { ...qualified, schema: undefined } : qualified
      const spec = { ...unqualified, ...(schema === undefined ? {} : { database: schema }) }
      const mapRow = rowMapper({ template: reference.template }, name)
      const source = await my.mysqlReferences({ client: pool, ...spec, ...(mapRow === undefined ? range : { mapRow }), snapshot, name })
      sources.push(mapKeys(source))
      if (mapRow === undefined && recheckable) lookups.push(my.mysqlLookup({ client: pool, ...spec, toColumnKey, name }))
      else withoutRecheck.push(name)
    } else if (database.type === 'mongo' && 'collection' in reference) {
      const mongo = await importPeer(async () => await import('@keydiff/mongo'), 'a mongo database', ['@keydiff/mongo', 'mongodb'])
      const client = await connections.mongo(reference.database)
      const options = {
        client,
        database: database.database ?? 'test',
        collection: reference.collection,
        ...(reference.field === undefined ? {} : { field: reference.field }),
        ...(reference.template === undefined ? {} : { template: reference.template }),
        ...(reference.filter === undefined ? {} : { filter: reference.filter })
      }
      const source = mongo.mongoReferences({ ...options, ...(reference.field === undefined ? {} : range) })
      sources.push(mapKeys(source))
      if (prefix === '' && strip === '') lookups.push(mongo.mongoLookup(options))
      else withoutRecheck.push(source.name)
    } else {
      throw new KeydiffError(`a ${database.type} database cannot serve this reference`, 'KEYDIFF_CONFIG_INVALID')
    }
  }

  /**
   * A sorted file read by the byte range of the shard's keys, or undefined to read it whole: it
   * must be one the coordinator verified (this reference of the run), and its mapping must turn
   * the shard's range into a range of the file's keys. The coordinator stamps a file only when it
   * holds no key that may resolve elsewhere, so columnRange's `alsoMatching` selects nothing.
   */
  function sortedFileRange (reference: Extract<ReferenceConfig, { file: string }>, position: number, path: string): SortedFileSource | undefined {
    // a template builds keys from the record: no range of the file holds a range of them
    if (reference.sorted !== true || reference.template !== undefined || options.range === undefined) return undefined
    const verified = options.sortedFiles?.find(file => file.reference === position)
    const format = fileFormat(reference, path)
    if (verified === undefined || format === 'csv') return undefined
    const pushed = columnRange(options.range, reference)
    if (pushed === undefined) return undefined
    const source = sortedFileSource(path, {
      format,
      field: reference.field,
      range: { after: pushed.after, upTo: pushed.upTo },
      identity: { size: verified.size, mtimeMs: verified.mtimeMs },
      name: `file:${path}`
    })
    byteRangeReads.push(source)
    return source
  }
}

/**
 * A reference's keys as store keys: `stripPrefix` removed (its `onMismatch` deciding what a
 * key without it becomes), then `prefix` added.
 */
function keyMapping (reference: ReferenceConfig): (source: KeySource) => KeySource {
  const strip = reference.stripPrefix === undefined ? undefined : stripPrefix(reference.stripPrefix, { onMismatch: reference.onMismatch ?? 'error' })
  const add = reference.prefix === undefined || reference.prefix === '' ? undefined : addPrefix(reference.prefix)
  return source => {
    const stripped = strip === undefined ? source : strip(source)
    return add === undefined ? stripped : add(stripped)
  }
}

/** A file of references; the config check made sure a JSON Lines file names its field. */
function fileReference (reference: Extract<ReferenceConfig, { file: string }>, path: string): KeySource {
  const name = `file:${path}`
  const format = fileFormat(reference, path)
  if (format === 'jsonl') return jsonLinesSource(path, { field: reference.field ?? '', name })
  if (format === 'csv') return csvSource(path, { column: reference.column ?? 0, name })
  return linesSource(path, { name })
}

/** A file reference's format: as it says, or from the file's extension. */
export function fileFormat (reference: Extract<ReferenceConfig, { file: string }>, path: string): 'lines' | 'jsonl' | 'csv' {
  return reference.format ?? (path.endsWith('.jsonl') ? 'jsonl' : path.endsWith('.csv') ? 'csv' : 'lines')
}
