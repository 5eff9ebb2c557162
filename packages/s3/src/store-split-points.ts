import type { S3Client } from '@aws-sdk/client-s3'
import { compareKeys } from '@keydiff/core'
import type { OpenedStore } from '@keydiff/core/adapter'
import { optionChecks } from './check-options.ts'
import { discoverSplitPoints } from './key-space.ts'
import { s3Url } from './location.ts'
import { retryOptions } from './retry.ts'

/** Delimiter levels read at most: one ListObjectsV2 page per prefix found on the level above. */
const MAX_DEPTH = 4
/** Prefixes listed at once. */
const CONCURRENCY = 8

/**
 * A bucket's split points for a store driver: the common prefixes of delimited listings
 * (`discoverSplitPoints`, the first page of each), a level at a time until there are `count`,
 * distinct and in byte order, without keydiff's own `.keydiff/` area.
 */
export async function s3SplitPoints (client: S3Client, bucket: string, options: Parameters<NonNullable<OpenedStore['splitPoints']>>[0]): Promise<string[]> {
  const { count, signal } = options
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`[s3] driver: splitPoints count must be a positive integer, got ${String(count)}`)
  const delimiter = options.delimiter ?? '/'
  if (typeof delimiter !== 'string' || delimiter === '') throw new TypeError('[s3] driver: splitPoints delimiter must not be empty')
  const prefix = options.prefix ?? ''
  const check = optionChecks('@keydiff/s3', 'splitPoints', options)
  const context = { client, bucket, sourceName: s3Url(bucket, prefix), pageSize: 1000, retry: retryOptions(check, {}) }
  const points = await discoverSplitPoints(context, prefix, { delimiter, targetPoints: count, maxDepth: MAX_DEPTH, concurrency: CONCURRENCY }, signal)
  return [...new Set(points.filter(point => !point.split('/').includes('.keydiff')))].sort(compareKeys)
}
