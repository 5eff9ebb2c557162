import type { Client } from 'minio'
import { AbortError } from '@keydiff/core'
import { splitPointsByLevel, type OpenedStore } from '@keydiff/core/adapter'
import { optionChecks, retryOptions, s3SourceError, withRetry } from '@keydiff/s3/adapter'
import { endpointOf, minioUrl } from './location.ts'

/** Delimiter levels read at most: one ListObjectsV2 page per prefix found on the level above. */
const MAX_DEPTH = 4

/**
 * A bucket's split points for the store driver: the common prefixes of delimited
 * ListObjectsV2 pages (the first page of each, through `listObjectsV2Query`), a level at a
 * time until there are `count`, distinct and in byte order, without keydiff's own `.keydiff/`
 * area, which is not descended into either.
 */
export async function minioSplitPoints (client: Client, bucket: string, retries: number, options: Parameters<NonNullable<OpenedStore['splitPoints']>>[0]): Promise<string[]> {
  const { count, signal } = options
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`[minio] driver: splitPoints count must be a positive integer, got ${String(count)}`)
  const delimiter = options.delimiter ?? '/'
  if (typeof delimiter !== 'string' || delimiter === '') throw new TypeError('[minio] driver: splitPoints delimiter must not be empty')
  const retry = { ...retryOptions(optionChecks('@keydiff/minio', 'splitPoints', options), { retries }), signal }
  const prefixesUnder = async (under: string): Promise<string[]> => {
    try {
      const page = await withRetry(async () => await client.listObjectsV2Query(bucket, under, '', delimiter, 1000, ''), retry)
      return page.objects.flatMap(item => item.prefix === undefined || item.prefix.split('/').includes('.keydiff') ? [] : [item.prefix])
    } catch (error) {
      if (error instanceof AbortError) throw error
      throw s3SourceError(minioUrl(bucket, under), `discovering prefixes (${endpointOf(client)})`, error)
    }
  }
  return await splitPointsByLevel(prefixesUnder, options.prefix ?? '', { count, maxDepth: MAX_DEPTH, signal })
}
