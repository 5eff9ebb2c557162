import type { Storage } from '@google-cloud/storage'
import { AbortError, SourceError } from '@keydiff/core'
import { splitPointsByLevel, type OpenedStore } from '@keydiff/core/adapter'
import { callWithRetries, connectionFailure, describeFailure, failureOf } from './request.ts'

/** Delimiter levels read at most: one `objects.list` page per prefix found on the level above. */
const MAX_DEPTH = 4

/**
 * A bucket's split points for the store driver: the `prefixes` of delimited `objects.list`
 * pages (the first page of each), a level at a time until there are `count`, distinct and in
 * byte order, without keydiff's own `.keydiff/` area, which is not descended into either.
 */
export async function gcsSplitPoints (client: Storage, bucketName: string, options: Parameters<NonNullable<OpenedStore['splitPoints']>>[0]): Promise<string[]> {
  const { count, signal } = options
  if (!Number.isInteger(count) || count < 1) throw new TypeError(`[gcs] driver: splitPoints count must be a positive integer, got ${String(count)}`)
  const delimiter = options.delimiter ?? '/'
  if (typeof delimiter !== 'string' || delimiter === '') throw new TypeError('[gcs] driver: splitPoints delimiter must not be empty')
  const bucket = client.bucket(bucketName)
  const prefixesUnder = async (under: string): Promise<string[]> => {
    const where = `gs://${bucketName}/${under}`
    let body: { prefixes?: string[] }
    try {
      body = await callWithRetries(bucket, {
        uri: '/o',
        qs: { prefix: under === '' ? undefined : under, delimiter, maxResults: 1000, fields: 'prefixes,nextPageToken' }
      }, { retries: 3, retryDelay: 250, signal })
    } catch (error) {
      if (error instanceof AbortError) throw error
      const unreachable = connectionFailure(bucket, `${where}: discovering prefixes`, error)
      if (unreachable !== undefined) throw unreachable
      const failure = failureOf(error)
      throw new SourceError(where, `discovering prefixes failed: ${describeFailure(failure)}`, {
        cause: error,
        ...(failure.status === 404 ? { code: 'KEYDIFF_SOURCE_NOT_FOUND' as const } : {})
      })
    }
    return (body.prefixes ?? []).filter(prefix => !prefix.split('/').includes('.keydiff'))
  }
  return await splitPointsByLevel(prefixesUnder, options.prefix ?? '', { count, maxDepth: MAX_DEPTH, signal })
}
