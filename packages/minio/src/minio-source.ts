import type { Client } from 'minio'
import { InvalidOptionError, SourceError, type KeyBatch, type KeyEntry, type KeySource } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import { errorMessage, errorName, withRetry } from './retry.ts'

export interface MinioSourceOptions {
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
  /** Retries of a page on throttling and transient errors. @default 5 */
  retries?: number
  /** First retry delay; doubles each time, with jitter. @default 200 */
  retryDelayMs?: number
  /** Declare the listing sorted in UTF-8 byte order, as MinIO lists. @default true */
  sorted?: boolean
  /** @default `minio://<bucket>/<prefix>` */
  name?: string
  signal?: AbortSignal
}

const NOT_FOUND = new Set(['NoSuchBucket', 'NoSuchKey', 'NotFound'])
// The server never answered (a timeout of the client's transport), refused, or did not resolve.
const UNREACHABLE = new Set(['ETIMEDOUT', 'ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'TimeoutError'])

/** `http://host:port` of the client, for messages (the client holds no credentials in it). */
function endpointOf (client: Client): string {
  const { protocol, host, port } = client as unknown as { protocol?: string, host?: string, port?: number }
  return `${protocol ?? 'http:'}//${host ?? '?'}${port === undefined ? '' : `:${port}`}`
}

/**
 * The objects of a bucket as a sorted key source of ListObjectsV2 pages read through the
 * minio client (`listObjectsV2Query`), with size, lastModified and the ETag as `version`.
 * The client asks for URL-encoded keys and decodes them.
 */
export function minioSource (options: MinioSourceOptions): KeySource {
  if (options === null || typeof options !== 'object') throw new TypeError('minioSource: options are required')
  if (typeof options.client?.listObjectsV2Query !== 'function') throw new TypeError('minioSource: options.client must be a Minio.Client')
  if (typeof options.bucket !== 'string' || options.bucket === '') throw new TypeError('minioSource: options.bucket must be a bucket name')
  const pageSize = options.pageSize ?? 1000
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 1000) throw new InvalidOptionError('pageSize', `${String(pageSize)} is not a whole number from 1 to 1000`)
  const retries = options.retries ?? 5
  const retryDelayMs = options.retryDelayMs ?? 200
  const prefix = options.prefix ?? ''
  const name = options.name ?? `minio://${options.bucket}/${prefix}`
  const { client, bucket, signal } = options

  return keySource(async function * (): AsyncGenerator<KeyBatch> {
    let token = ''
    let page = 0
    do {
      page++
      let result
      try {
        result = await withRetry(async () => await client.listObjectsV2Query(bucket, prefix, token, '', pageSize, token === '' ? options.startAfter ?? '' : ''), { retries, baseDelayMs: retryDelayMs, signal })
      } catch (error) {
        const unreachable = UNREACHABLE.has(errorName(error))
        const code = NOT_FOUND.has(errorName(error)) ? 'KEYDIFF_SOURCE_NOT_FOUND' : unreachable ? 'KEYDIFF_CONNECTION_FAILED' : 'KEYDIFF_SOURCE_FAILED'
        throw new SourceError(name, `listing at page ${page}${unreachable ? ` from ${endpointOf(client)}` : ''} failed: ${errorMessage(error)}`, { code, cause: error })
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
  }, { name, sorted: options.sorted ?? true })
}
