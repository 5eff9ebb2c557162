import type { S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError, type KeyBatch, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { nonNegativeInteger, positiveInteger } from './check-options.ts'
import { discoverSplitPoints, splitByPoints } from './key-space.ts'
import { listRange, type ListContext } from './list-range.ts'
import { s3Url } from './location.ts'
import { orderedParallel } from './ordered-parallel.ts'

export interface S3SourceOptions {
  /** The user's S3Client (any S3-compatible endpoint). Required. */
  client: S3Client
  /** Required. */
  bucket: string
  /** Only keys under this prefix. @default '' (the whole bucket) */
  prefix?: string
  /**
   * Ranges listed at once. 1 lists page after page; above 1 the key space is cut into ranges
   * at split points (the common prefixes the delimiter reveals, or `splitPoints`) and the
   * ranges are listed concurrently, their output still in byte order. @default 8
   */
  concurrency?: number
  /** Delimiter used to discover prefixes to split on. @default '/' */
  delimiter?: string
  /** How many delimiter levels discovery may descend (one request per prefix found). @default 2 */
  splitDepth?: number
  /**
   * Explicit split points for flat key spaces, used instead of prefix discovery: range i holds
   * the keys after point i-1 up to and including point i (e.g. `['blobs/4', 'blobs/8', 'blobs/c']`).
   * @default undefined (discover prefixes)
   */
  splitPoints?: readonly string[]
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). @default 1000 */
  pageSize?: number
  /** Retries of a page on throttling (503 SlowDown) and transient errors, on top of the client's own. @default 5 */
  retries?: number
  /** First retry delay; doubles each time, with jitter. @default 200 */
  retryDelayMs?: number
  /** Pages each running range may read ahead of the consumer. @default 4 */
  readAhead?: number
  /**
   * Declare the listing sorted in UTF-8 byte order, as S3 lists. Set false only for a store
   * known to list otherwise; the engine checks the claim either way. @default true
   */
  sorted?: boolean
  /** @default `s3://<bucket>/<prefix>` */
  name?: string
  signal?: AbortSignal
}

/**
 * The objects of a bucket (under a prefix) as a sorted key source of ListObjectsV2 pages,
 * with size, lastModified and the ETag as `version`. Keys are requested URL-encoded and
 * decoded, so any key comes back exactly.
 */
export function s3Source (options: S3SourceOptions): KeySource {
  const context = listContext(options)
  const prefix = options.prefix ?? ''
  const concurrency = positiveInteger(options.concurrency ?? 8, 'concurrency')
  const splitDepth = positiveInteger(options.splitDepth ?? 2, 'splitDepth')
  const readAhead = positiveInteger(options.readAhead ?? 4, 'readAhead')
  const delimiter = options.delimiter ?? '/'
  if (delimiter === '') throw new InvalidOptionError('delimiter', 'must not be empty')
  const signal = options.signal

  return keySource(async function * (): AsyncGenerator<KeyBatch> {
    if (concurrency === 1 && options.splitPoints === undefined) {
      yield * listRange(context, { prefix }, signal)
      return
    }
    const points = options.splitPoints ?? await discoverSplitPoints(context, prefix, { delimiter, targetPoints: concurrency * 4, maxDepth: splitDepth, concurrency }, signal)
    const ranges = splitByPoints(prefix, points)
    yield * orderedParallel(ranges.map(range => (rangeSignal: AbortSignal) => listRange(context, range, rangeSignal)), concurrency, readAhead, signal)
  }, { name: options.name ?? s3Url(options.bucket, prefix), sorted: options.sorted ?? true })
}

function listContext (options: S3SourceOptions): ListContext {
  if (options === null || typeof options !== 'object') throw new TypeError('s3Source: options are required')
  if (options.client === undefined || typeof options.client.send !== 'function') throw new TypeError('s3Source: options.client must be an S3Client')
  if (typeof options.bucket !== 'string' || options.bucket === '') throw new TypeError('s3Source: options.bucket must be a bucket name')
  const pageSize = positiveInteger(options.pageSize ?? 1000, 'pageSize')
  if (pageSize > 1000) throw new InvalidOptionError('pageSize', `${pageSize} is above S3's limit of 1000 keys per page`)
  return {
    client: options.client,
    bucket: options.bucket,
    sourceName: options.name ?? s3Url(options.bucket, options.prefix ?? ''),
    pageSize,
    retries: nonNegativeInteger(options.retries ?? 5, 'retries'),
    retryDelayMs: nonNegativeInteger(options.retryDelayMs ?? 200, 'retryDelayMs')
  }
}
