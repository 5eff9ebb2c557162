import type { Storage } from '@google-cloud/storage'
import { AbortError, SourceError, compareKeys } from '@keydiff/core'
import { keySource } from '@keydiff/core/adapter'
import type { KeyEntry, KeySource } from '@keydiff/core'
import { GcsOptions, type LegacyStorageOptions } from './options.ts'
import { prefetch } from './prefetch.ts'
import type { Prefetched } from './prefetch.ts'
import { callWithRetries, connectionFailure, describeFailure, failureOf } from './request.ts'

export interface GcsSourceOptions {
  /** The user's client, configured with its own credentials. Required. */
  client: Storage
  /** Bucket name. Required. */
  bucket: string
  /** Only objects whose names start with this. @default '' */
  prefix?: string
  /** Objects per page (`maxResults`); GCS gives at most 1000. @default 1000 */
  pageSize?: number
  /**
   * Split points for parallel listing, sorted in byte order: the ranges `[start, p1)`,
   * `[p1, p2)`, ..., `[pn, end)` are listed at once (`startOffset` inclusive, `endOffset`
   * exclusive) and yielded in order, so the source stays sorted. See `hexSplitPoints`.
   * @default [] (one range)
   */
  splitPoints?: readonly string[]
  /** List only names from this one on (inclusive, as GCS's `startOffset`). @default undefined */
  startOffset?: string
  /** List only names before this one (exclusive, as GCS's `endOffset`). @default undefined */
  endOffset?: string
  /** Ranges listed at the same time. @default 4 */
  concurrency?: number
  /** Pages read ahead per range while the consumer works. @default 2 */
  readAhead?: number
  /** @deprecated since 0.2: use `readAhead` (the same value); removed in the next release. */
  prefetchPages?: number
  /** Tries after a failed page that may pass again (throttling, 5xx, lost connection). @default 3 */
  retries?: number
  /** First retry delay in ms; doubles on each try, with jitter. @default 250 */
  retryDelay?: number
  /** Longest delay between two tries, in ms. @default 30000 */
  maxRetryDelay?: number
  /** Which object time becomes `lastModified`. `updated` also moves on metadata changes: the safer fence. @default 'updated' */
  lastModified?: 'updated' | 'timeCreated'
  /** How many objects the bucket (under the prefix) holds, if known: sizes the engine's structures (GCS gives no count). @default undefined */
  estimatedCount?: number
  /**
   * Declare the listing sorted in UTF-8 byte order, as GCS lists. Set false only for a store
   * known to list otherwise; the engine checks the claim either way. @default true
   */
  sorted?: boolean
  /** @default `gs://<bucket>/<prefix>` */
  name?: string
  /** Billed project for requester-pays buckets. @default undefined */
  userProject?: string
  signal?: AbortSignal
}

interface ObjectItem {
  name: string
  size?: string
  updated?: string
  timeCreated?: string
  generation?: string
}

interface ListPage {
  items?: ObjectItem[]
  nextPageToken?: string
}

const FIELDS = 'items(name,size,updated,timeCreated,generation),nextPageToken'

function checkSplitPoints (check: GcsOptions, points: readonly string[]): void {
  for (let i = 1; i < points.length; i++) {
    if (compareKeys(points[i - 1] as string, points[i] as string) >= 0) {
      throw check.invalid('splitPoints', `must be strictly increasing in UTF-8 byte order; ${JSON.stringify(points[i])} follows ${JSON.stringify(points[i - 1])}`)
    }
  }
}

/**
 * The objects of a GCS bucket as a sorted key source: `objects.list` pages of only the
 * fields needed, optionally as several key ranges listed in parallel. Every entry carries
 * `size`, `lastModified` and the object's generation as `version`, which the sinks use as
 * a precondition. A page that fails after its retries fails the iteration. Nothing is
 * requested before the first iteration.
 */
export function gcsSource (options: GcsSourceOptions | LegacyStorageOptions<GcsSourceOptions>): KeySource {
  const check = new GcsOptions('gcsSource', options)
  const storage = check.client(options)
  const bucketName = check.bucket(options.bucket)
  const prefix = options.prefix ?? ''
  const pageSize = check.count('pageSize', options.pageSize, 1000, { max: 1000 })
  const concurrency = check.count('concurrency', options.concurrency, 4)
  const depth = check.count('readAhead', check.renamed('readAhead', options.readAhead, 'prefetchPages', options.prefetchPages), 2)
  const retries = check.count('retries', options.retries, 3, { min: 0 })
  const retryDelay = check.count('retryDelay', options.retryDelay, 250, { min: 0 })
  const maxRetryDelay = check.count('maxRetryDelay', options.maxRetryDelay, 30_000)
  check.count('estimatedCount', options.estimatedCount, 0, { min: 0 })
  const timeField = options.lastModified ?? 'updated'
  if (timeField !== 'updated' && timeField !== 'timeCreated') throw check.invalid('lastModified', `must be 'updated' or 'timeCreated', got ${String(timeField)}`)
  const splitPoints = [...(options.splitPoints ?? [])]
  checkSplitPoints(check, splitPoints)
  const name = options.name ?? `gs://${bucketName}/${prefix}`
  const bucket = storage.bucket(bucketName)
  const { startOffset, endOffset } = options
  const inside = splitPoints.filter(point =>
    (startOffset === undefined || compareKeys(point, startOffset) > 0) && (endOffset === undefined || compareKeys(point, endOffset) < 0))
  const bounds: Array<string | undefined> = [startOffset, ...inside, endOffset]

  const toEntry = (item: ObjectItem): KeyEntry => {
    const time = item[timeField] ?? item.updated ?? item.timeCreated
    return {
      key: item.name,
      ...(item.size === undefined ? {} : { size: Number(item.size) }),
      ...(time === undefined ? {} : { lastModified: new Date(time) }),
      ...(item.generation === undefined ? {} : { version: item.generation })
    }
  }

  async function * listRange (start: string | undefined, end: string | undefined): AsyncGenerator<KeyEntry[]> {
    let pageToken: string | undefined
    let page = 0
    do {
      page++
      let body: ListPage
      try {
        body = await callWithRetries<ListPage>(bucket, {
          uri: '/o',
          qs: { prefix: prefix === '' ? undefined : prefix, maxResults: pageSize, pageToken, startOffset: start, endOffset: end, fields: FIELDS, userProject: options.userProject }
        }, { retries, retryDelay, maxRetryDelay, signal: options.signal })
      } catch (error) {
        if (error instanceof AbortError) throw error
        const range = splitPoints.length === 0 ? '' : ` of range [${start ?? ''}, ${end ?? '∞'})`
        const unreachable = connectionFailure(bucket, `${name}: listing page ${page}${range}`, error)
        if (unreachable !== undefined) throw unreachable
        const failure = failureOf(error)
        throw new SourceError(name, `listing failed at page ${page}${range}: ${describeFailure(failure)}`, {
          cause: error,
          ...(failure.status === 404 ? { code: 'KEYDIFF_SOURCE_NOT_FOUND' as const } : {})
        })
      }
      const items = body.items ?? []
      if (items.length > 0) yield items.map(toEntry)
      pageToken = body.nextPageToken
    } while (pageToken !== undefined && pageToken !== '')
  }

  async function * listAll (): AsyncGenerator<KeyEntry[]> {
    const waiting: Array<Prefetched<KeyEntry[]>> = []
    let next = 0
    const fill = (): void => {
      while (next < bounds.length - 1 && waiting.length < concurrency) {
        waiting.push(prefetch(listRange(bounds[next], bounds[next + 1]), depth))
        next++
      }
    }
    try {
      fill()
      while (waiting.length > 0) {
        const current = waiting.shift() as Prefetched<KeyEntry[]>
        yield * current
        fill()
      }
    } finally {
      for (const other of waiting) other.stop()
    }
  }

  return keySource(listAll, { name, sorted: options.sorted ?? true, estimatedCount: options.estimatedCount, supports: { sizes: true, lastModified: true } })
}
