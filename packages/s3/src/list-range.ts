import { ListObjectsV2Command, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3'
import { compareKeys, type KeyEntry } from '@keydiff/core'
import { s3SourceError } from './errors.ts'
import { describeEndpoint, s3Url } from './location.ts'
import { withRetry, type RetryOptions } from './retry.ts'
import { decodeS3Url } from './url-encoding.ts'

/** One contiguous slice of a bucket's key space: keys under `prefix`, after `startAfter`, up to and including `endAt`. */
export interface KeyRange {
  readonly prefix: string
  readonly startAfter?: string | undefined
  readonly endAt?: string | undefined
}

export interface ListContext {
  readonly client: S3Client
  readonly bucket: string
  readonly sourceName: string
  readonly pageSize: number
  readonly retry: RetryOptions
}

/** One ListObjectsV2 page, retried on throttling and transient errors; keys come back decoded. */
export async function listPage (
  context: ListContext,
  request: { prefix: string, startAfter?: string | undefined, token?: string | undefined, delimiter?: string },
  where: string,
  signal: AbortSignal | undefined
): Promise<{ entries: KeyEntry[], prefixes: string[], next: string | undefined }> {
  let output: ListObjectsV2CommandOutput
  try {
    output = await withRetry(async () => await context.client.send(new ListObjectsV2Command({
      Bucket: context.bucket,
      Prefix: request.prefix === '' ? undefined : request.prefix,
      StartAfter: request.token === undefined ? request.startAfter : undefined,
      ContinuationToken: request.token,
      Delimiter: request.delimiter,
      MaxKeys: context.pageSize,
      EncodingType: 'url'
    }), { abortSignal: signal }), { ...context.retry, signal })
  } catch (error) {
    throw s3SourceError(context.sourceName, `${where} (${await describeEndpoint(context.client)})`, error)
  }
  // Decode only what the store says it encoded: a store that ignores EncodingType sends keys as they are.
  const encoded = output.EncodingType === 'url'
  const decode = (value: string): string => {
    if (!encoded) return value
    try {
      return decodeS3Url(value)
    } catch (error) {
      throw s3SourceError(context.sourceName, `${where}: the store sent a key that is not valid URL encoding (${JSON.stringify(value)})`, error)
    }
  }
  const entries: KeyEntry[] = []
  for (const object of output.Contents ?? []) {
    if (object.Key === undefined) continue
    entries.push({
      key: decode(object.Key),
      size: object.Size,
      lastModified: object.LastModified,
      version: object.ETag === undefined ? undefined : object.ETag.replaceAll('"', '')
    })
  }
  const prefixes = (output.CommonPrefixes ?? []).flatMap(entry => entry.Prefix === undefined ? [] : [decode(entry.Prefix)])
  if (output.IsTruncated === true && (output.NextContinuationToken === undefined || output.NextContinuationToken === '')) {
    throw s3SourceError(context.sourceName, where, new Error('the store said the page was truncated but gave no continuation token'))
  }
  return { entries, prefixes, next: output.IsTruncated === true ? output.NextContinuationToken : undefined }
}

/** Lists one range page by page; a page that keeps failing fails the iteration, never ends it early. */
export async function * listRange (context: ListContext, range: KeyRange, signal?: AbortSignal): AsyncGenerator<KeyEntry[]> {
  let token: string | undefined
  let page = 0
  do {
    page++
    const where = `listing ${s3Url(context.bucket, range.prefix)}${range.startAfter === undefined ? '' : ` after ${JSON.stringify(range.startAfter)}`} at page ${page}`
    const result = await listPage(context, { prefix: range.prefix, startAfter: range.startAfter, token }, where, signal)
    let entries = result.entries
    let last = false
    if (range.endAt !== undefined) {
      const endAt = range.endAt
      const cut = entries.findIndex(entry => compareKeys(entry.key, endAt) > 0)
      if (cut !== -1) {
        entries = entries.slice(0, cut)
        last = true
      }
    }
    if (entries.length > 0) yield entries
    token = last ? undefined : result.next
  } while (token !== undefined)
}
