import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { access, readFile } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { KeyBatch, KeyEntry, KeySource } from '@keydiff/core'
import { parse } from 'csv-parse'
import { request } from 'undici'
import { optionChecks, type OptionChecks } from './check-options.ts'
import { InventoryError } from './errors.ts'
import { parseManifest, type InventoryFile, type InventoryManifest } from './inventory-manifest.ts'
import { errorMessage } from './retry.ts'
import { decodeS3Url } from './url-encoding.ts'

export interface S3InventorySourceOptions {
  /** `s3://bucket/path/manifest.json`, an `https://` URL (a presigned one, say) or a local path. Required. */
  manifest: string | URL
  /** Reads `s3://` manifests and the data files from the destination bucket. @default required unless everything is local */
  client?: S3Client
  /**
   * A local directory that the manifest's file keys are relative to (a copy of the destination
   * bucket). @default for a local manifest, the nearest parent directory that holds the first file; otherwise the bucket
   */
  files?: string
  /** Only keys under this prefix. @default '' */
  prefix?: string
  /** Check each data file against the manifest's MD5 checksum. @default true */
  verifyChecksums?: boolean
  /** Include versions that are not the latest, and delete markers, when the report has them. @default false */
  allVersions?: boolean
  /** How many objects the report lists, if known: sizes the engine's structures. @default undefined */
  estimatedCount?: number
  /** @default 'inventory:<manifest>' */
  name?: string
  signal?: AbortSignal
}

const BATCH = 1000

/**
 * The objects listed in an S3 Inventory report (CSV, gzip) as candidates, with size and
 * lastModified: a daily listing of a huge bucket at no request cost. Not declared sorted:
 * the report's files come in no promised order. The report is as old as its manifest: once
 * the manifest is read, `scanStartedAt` is its `creationTimestamp` (`scanBasis`
 * `inventory created`), or when the read started if that is earlier or the manifest has none.
 */
export function s3InventorySource (options: S3InventorySourceOptions): KeySource {
  const check = optionChecks('@keydiff/s3', 's3InventorySource', options)
  const manifest = check.required('manifest', options.manifest)
  const where = String(manifest)
  const location = classify(check, manifest)
  if (location.kind === 's3' || (location.kind === 'url' && options.files === undefined)) {
    const client = check.required('client', options.client)
    if (typeof client.send !== 'function') throw check.invalid('client', 'is not an S3Client (it has no send method)')
  }
  check.nonNegativeInteger('estimatedCount', options.estimatedCount, 0)
  const prefix = options.prefix ?? ''
  const verify = options.verifyChecksums ?? true
  const signal = options.signal

  const source: { -readonly [K in keyof KeySource]: KeySource[K] } = {
    name: options.name ?? `inventory:${where}`,
    sorted: false,
    estimatedCount: options.estimatedCount,
    supports: { sizes: true, lastModified: true, controlCharacters: true },
    scanStartedAt: undefined,
    scanBasis: undefined,
    async * [Symbol.asyncIterator] (): AsyncGenerator<KeyBatch> {
      const started = new Date()
      source.scanStartedAt = started
      source.scanBasis = 'read started'
      const manifest = parseManifest(await readManifest(location, options.client, where, signal), where)
      const created = manifest.creationTimestamp
      if (created !== undefined && created.getTime() <= started.getTime()) {
        source.scanStartedAt = created
        source.scanBasis = 'inventory created'
      }
      const open = await fileOpener(location, manifest, options, where)
      for (const file of manifest.files) {
        signal?.throwIfAborted()
        yield * readInventoryFile(manifest, file, await open(file), { where, prefix, verify, allVersions: options.allVersions === true })
      }
    }
  }
  return source
}

type Location = { kind: 's3', bucket: string, key: string } | { kind: 'url', url: URL } | { kind: 'file', path: string }

function classify (check: OptionChecks, manifest: string | URL): Location {
  const text = String(manifest)
  if (text === '') throw check.invalid('manifest', 'is empty')
  if (text.startsWith('s3://')) {
    const rest = text.slice(5)
    const slash = rest.indexOf('/')
    if (slash <= 0) throw check.invalid('manifest', `${text} does not name a bucket and a key`)
    return { kind: 's3', bucket: rest.slice(0, slash), key: rest.slice(slash + 1) }
  }
  if (/^https?:\/\//.test(text)) return { kind: 'url', url: new URL(text) }
  return { kind: 'file', path: resolve(manifest instanceof URL ? manifest.pathname : text) }
}

async function readManifest (location: Location, client: S3Client | undefined, where: string, signal?: AbortSignal): Promise<string> {
  try {
    if (location.kind === 'file') return await readFile(location.path, 'utf8')
    if (location.kind === 'url') {
      const response = await request(location.url, { signal })
      const body = await response.body.text()
      if (response.statusCode !== 200) throw new Error(`HTTP ${response.statusCode}: ${body.slice(0, 200)}`)
      return body
    }
    const output = await (client as S3Client).send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), { abortSignal: signal })
    return await output.Body?.transformToString() ?? ''
  } catch (error) {
    const missing = (error as { code?: string }).code === 'ENOENT' || (error as { name?: string }).name === 'NoSuchKey'
    throw new InventoryError(where, `reading manifest.json failed: ${errorMessage(error)}`, { code: missing ? 'KEYDIFF_SOURCE_NOT_FOUND' : 'KEYDIFF_SOURCE_FAILED', cause: error })
  }
}

type Opener = (file: InventoryFile) => Promise<Readable>

async function fileOpener (location: Location, manifest: InventoryManifest, options: S3InventorySourceOptions, where: string): Promise<Opener> {
  let root = options.files
  if (root === undefined && location.kind === 'file') root = await findRoot(location.path, manifest.files[0]?.key)
  if (root !== undefined) {
    const base = root
    return async file => createReadStream(join(base, file.key))
  }
  const client = options.client as S3Client
  return async file => {
    const output = await client.send(new GetObjectCommand({ Bucket: manifest.destinationBucket, Key: file.key }), { abortSignal: options.signal })
    if (output.Body === undefined) throw new InventoryError(where, `s3://${manifest.destinationBucket}/${file.key} has no body`)
    return output.Body as Readable
  }
}

/** The directory that a local copy of the destination bucket starts at: the nearest parent of the manifest holding the first file. */
async function findRoot (manifestPath: string, firstKey: string | undefined): Promise<string> {
  let dir = dirname(manifestPath)
  if (firstKey === undefined) return dir
  for (;;) {
    try {
      await access(join(dir, firstKey))
      return dir
    } catch {
      const parent = dirname(dir)
      if (parent === dir) return dirname(manifestPath)
      dir = parent
    }
  }
}

async function * readInventoryFile (manifest: InventoryManifest, file: InventoryFile, input: Readable, context: { where: string, prefix: string, verify: boolean, allVersions: boolean }): AsyncGenerator<KeyBatch> {
  const name = `${context.where} file ${file.key}`
  const column = (title: string): number => manifest.columns.indexOf(title)
  const [keyAt, sizeAt, modifiedAt, etagAt, latestAt, markerAt] = ['Key', 'Size', 'LastModifiedDate', 'ETag', 'IsLatest', 'IsDeleteMarker'].map(column) as [number, number, number, number, number, number]
  const md5 = createHash('md5')
  input.on('data', (chunk: Buffer) => md5.update(chunk))
  const gunzip = createGunzip()
  const rows = input.pipe(gunzip).pipe(parse({ relax_column_count: true }))
  // pipe() does not pass errors on: a broken download or a truncated gzip must fail the rows.
  input.on('error', error => rows.destroy(error))
  gunzip.on('error', error => rows.destroy(error))
  let batch: KeyEntry[] = []
  let line = 0
  try {
    for await (const row of rows as AsyncIterable<string[]>) {
      line++
      const rawKey = row[keyAt]
      if (rawKey === undefined) throw new InventoryError(context.where, `${file.key}:${line}: the row has no Key column`)
      if (!context.allVersions && (row[latestAt] === 'false' || row[markerAt] === 'true')) continue
      // Inventory CSV keys are URL-encoded, spaces as `+`, like listings under EncodingType=url.
      const key = decodeS3Url(rawKey)
      if (!key.startsWith(context.prefix)) continue
      const size = sizeAt >= 0 && row[sizeAt] !== '' ? Number(row[sizeAt]) : undefined
      const modified = modifiedAt >= 0 && row[modifiedAt] !== '' ? new Date(row[modifiedAt] as string) : undefined
      batch.push({ key, size, lastModified: modified, version: etagAt >= 0 && row[etagAt] !== '' ? row[etagAt] : undefined })
      if (batch.length >= BATCH) {
        yield batch
        batch = []
      }
    }
  } catch (error) {
    if (error instanceof InventoryError) throw error
    throw new InventoryError(context.where, `reading ${name} failed at row ${line}: ${errorMessage(error)}`, { code: 'KEYDIFF_SOURCE_FAILED', cause: error })
  }
  if (context.verify && file.MD5checksum !== undefined) {
    const digest = md5.digest('hex')
    if (digest !== file.MD5checksum) throw new InventoryError(context.where, `${file.key} has MD5 ${digest}, the manifest says ${file.MD5checksum}: the file is incomplete or changed`, { code: 'KEYDIFF_SOURCE_FAILED' })
  }
  if (batch.length > 0) yield batch
}
