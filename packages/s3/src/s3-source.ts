import type { S3Client } from '@aws-sdk/client-s3'
import type { KeyBatch, KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { optionChecks } from './check-options.ts'
import { discoverSplitPoints, splitByPoints, withinBounds } from './key-space.ts'
import { listRange, type ListContext } from './list-range.ts'
import { s3Target, s3Url } from './location.ts'
import { orderedParallel } from './ordered-parallel.ts'
import { retryOptions, type RetrySettings } from './retry.ts'

export interface S3SourceOptions extends RetrySettings {
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
  /** Only keys after this one in byte order, as ListObjectsV2's `StartAfter`: the store starts there. @default undefined */
  startAfter?: string
  /** Only keys up to and including this one in byte order: the listing stops past it. @default undefined */
  endAt?: string
  /** Keys per ListObjectsV2 page (S3 caps it at 1000). @default 1000 */
  pageSize?: number
  /** Pages each running range may read ahead of the consumer. @default 4 */
  readAhead?: number
  /**
   * Declare the listing sorted in UTF-8 byte order, as S3 lists. Set false only for a store
   * known to list otherwise; the engine checks the claim either way. @default true
   */
  sorted?: boolean
  /** How many objects the bucket (under the prefix) holds, if known: sizes the engine's structures (S3 gives no count). @default undefined */
  estimatedCount?: number
  /** @default `s3://<bucket>/<prefix>` */
  name?: string
  signal?: AbortSignal
}

/**
 * The objects of a bucket (under a prefix) as a sorted key source of ListObjectsV2 pages,
 * with size, lastModified and the ETag as `version`. Keys are requested URL-encoded and
 * decoded, so any key comes back exactly. Nothing is requested before the first iteration.
 */
export function s3Source (options: S3SourceOptions): KeySource {
  const check = optionChecks('@keydiff/s3', 's3Source', options)
  const { client, bucket } = s3Target(check, options)
  const prefix = options.prefix ?? ''
  const name = options.name ?? s3Url(bucket, prefix)
  const context: ListContext = {
    client,
    bucket,
    sourceName: name,
    pageSize: check.positiveInteger('pageSize', options.pageSize, 1000, 1000),
    retry: retryOptions(check, options)
  }
  const concurrency = check.positiveInteger('concurrency', options.concurrency, 8)
  const splitDepth = check.positiveInteger('splitDepth', options.splitDepth, 2)
  const readAhead = check.positiveInteger('readAhead', options.readAhead, 4)
  check.nonNegativeInteger('estimatedCount', options.estimatedCount, 0)
  const delimiter = options.delimiter ?? '/'
  if (delimiter === '') throw check.invalid('delimiter', 'must not be empty')
  const signal = options.signal

  const bounds = { startAfter: options.startAfter, endAt: options.endAt }
  if (bounds.startAfter !== undefined && typeof bounds.startAfter !== 'string') throw check.invalid('startAfter', 'must be a key')
  if (bounds.endAt !== undefined && typeof bounds.endAt !== 'string') throw check.invalid('endAt', 'must be a key')

  return keySource(async function * (): AsyncGenerator<KeyBatch> {
    if (concurrency === 1 && options.splitPoints === undefined) {
      yield * listRange(context, { prefix, ...bounds }, signal)
      return
    }
    const points = options.splitPoints ?? await discoverSplitPoints(context, prefix, { delimiter, targetPoints: concurrency * 4, maxDepth: splitDepth, concurrency }, signal)
    const ranges = withinBounds(splitByPoints(prefix, points), bounds)
    yield * orderedParallel(ranges.map(range => (rangeSignal: AbortSignal) => listRange(context, range, rangeSignal)), concurrency, readAhead, signal)
  }, { name, sorted: options.sorted ?? true, estimatedCount: options.estimatedCount, supports: { sizes: true, lastModified: true, controlCharacters: true } })
}
