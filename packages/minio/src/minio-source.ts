import type { Client } from 'minio'
import { SourceError, type KeyBatch, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { optionChecks, retryOptions, s3SourceError, withRetry, type RetrySettings } from '@keydiff/s3/adapter'
import { endpointOf, minioTarget, minioUrl } from './location.ts'

export interface MinioSourceOptions extends RetrySettings {
  /** The user's `Minio.Client`. Required. */
  client: Client
  /** Required. */
  bucket: string
  /** Only keys under this prefix. @default '' */
  prefix?: string
  /** Start after this key (exclusive). @default '' */
  startAfter?: string
  /** Keys per ListObjectsV2 page (the server caps it at 1000). @default 1000 */
  pageSize?: number
  /** Declare the listing sorted in UTF-8 byte order, as MinIO lists. @default true */
  sorted?: boolean
  /** How many objects the bucket (under the prefix) holds, if known: sizes the engine's structures. @default undefined */
  estimatedCount?: number
  /** @default `minio://<bucket>/<prefix>` */
  name?: string
  signal?: AbortSignal
}

/**
 * The objects of a bucket as a sorted key source of ListObjectsV2 pages read through the
 * minio client (`listObjectsV2Query`), with size, lastModified and the ETag as `version`.
 * The client asks for URL-encoded keys and decodes them. Nothing is requested before the
 * first iteration.
 */
export function minioSource (options: MinioSourceOptions): KeySource {
  const check = optionChecks('@keydiff/minio', 'minioSource', options)
  const { client, bucket } = minioTarget(check, options)
  const pageSize = check.positiveInteger('pageSize', options.pageSize, 1000, 1000)
  check.nonNegativeInteger('estimatedCount', options.estimatedCount, 0)
  const retry = retryOptions(check, options)
  const prefix = options.prefix ?? ''
  const name = options.name ?? minioUrl(bucket, prefix)
  const signal = options.signal

  return keySource(async function * (): AsyncGenerator<KeyBatch> {
    let token = ''
    let page = 0
    do {
      page++
      let result
      try {
        result = await withRetry(async () => await client.listObjectsV2Query(bucket, prefix, token, '', pageSize, token === '' ? options.startAfter ?? '' : ''), { ...retry, signal })
      } catch (error) {
        throw s3SourceError(name, `listing at page ${page} (${endpointOf(client)})`, error)
      }
      const batch: KeyEntry[] = []
      for (const item of result.objects) {
        if (item.name === undefined) continue
        batch.push({ key: item.name, size: item.size, lastModified: item.lastModified, version: item.etag })
      }
      if (batch.length > 0) yield batch
      if (result.isTruncated && (result.nextContinuationToken ?? '') === '') {
        throw new SourceError(name, `page ${page} was truncated but came with no continuation token`)
      }
      token = result.isTruncated ? result.nextContinuationToken : ''
    } while (token !== '')
  }, { name, sorted: options.sorted ?? true, estimatedCount: options.estimatedCount, supports: { sizes: true, lastModified: true, controlCharacters: true, emptySegments: false } })
}
