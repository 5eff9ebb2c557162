import type { Bucket, Storage } from '@google-cloud/storage'
import { SinkError } from '@keydiff/core'
import type { KeyEntry, SinkApplyOptions, SinkOutcome } from '@keydiff/core'
import { GcsOptions, type LegacyStorageOptions } from './options.ts'
import { call, checkSignal, describeFailure, failureOf } from './request.ts'
import type { GcsFailure } from './request.ts'

/** What every GCS sink takes. */
export interface GcsSinkOptions {
  /** The user's client, configured with its own credentials. Required. */
  client: Storage
  /** Bucket name. Required. */
  bucket: string
  /** Objects acted on at the same time. @default 16 */
  concurrency?: number
  /** Most keys per `apply` call. @default 1000 */
  maxBatch?: number
  /** Billed project for requester-pays buckets. @default undefined */
  userProject?: string
}

/** What a per-object action gives back: ok, or the failure to report. */
export type ObjectResult = true | { failure: GcsFailure, note?: string }

export interface ObjectSinkContext {
  readonly bucket: Bucket
  readonly bucketName: string
  readonly userProject: string | undefined
}

export const OK: ObjectResult = true

export function fail (failure: GcsFailure, note?: string): ObjectResult {
  return note === undefined ? { failure } : { failure, note }
}

/** The outcome of a generation precondition that did not hold: the object changed since the plan. */
export function staleGeneration (entry: KeyEntry, failure: GcsFailure): ObjectResult {
  return fail({ ...failure, retryable: false }, `changed since the plan: generation ${entry.version ?? '?'} is no longer the live object (it was rewritten after the plan); left as it is`)
}

function outcome (key: string, result: ObjectResult): SinkOutcome {
  if (result === true) return { key, ok: true }
  const error = result.note === undefined ? describeFailure(result.failure) : `${result.note} (${describeFailure(result.failure)})`
  return { key, ok: false, error, retryable: result.failure.retryable }
}

/**
 * Checks a sink's options (`factory` names it in messages), then runs one action per object
 * with bounded concurrency and turns each result into an outcome. Before the first batch, the
 * bucket is checked once: without that, a missing bucket would make every delete a "not
 * found", which a delete sink counts as done.
 */
export function objectRunner (factory: string, options: GcsSinkOptions | LegacyStorageOptions<GcsSinkOptions>, label: (bucket: string) => string): {
  name: string
  check: GcsOptions
  client: Storage
  context: ObjectSinkContext
  maxBatch: number
  run: (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions | undefined, act: (entry: KeyEntry) => Promise<ObjectResult>) => Promise<SinkOutcome[]>
  runChunked: (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions | undefined, size: number, act: (chunk: readonly KeyEntry[]) => Promise<ObjectResult[]>) => Promise<SinkOutcome[]>
} {
  const check = new GcsOptions(factory, options)
  const client = check.client(options)
  const bucketName = check.bucket(options.bucket)
  const name = label(bucketName)
  const concurrency = check.count('concurrency', options.concurrency, 16)
  const maxBatch = check.count('maxBatch', options.maxBatch, 1000)
  const bucket = client.bucket(bucketName)
  const context = { bucket, bucketName, userProject: options.userProject }
  let checked: Promise<void> | undefined

  const checkBucket = async (): Promise<void> => {
    try {
      await call(bucket, { uri: '', qs: { fields: 'name', userProject: options.userProject } })
    } catch (error) {
      checked = undefined
      throw new SinkError(`bucket ${bucketName} cannot be read: ${describeFailure(failureOf(error))}`, { adapter: 'gcs', target: name, cause: error })
    }
  }

  const prepare = async (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions | undefined): Promise<void> => {
    if (batch.length > maxBatch) throw check.invalid('batch', `${name} takes at most ${maxBatch} keys per call, got ${batch.length}`)
    checkSignal(applyOptions?.signal)
    checked ??= checkBucket()
    await checked
  }

  /** Acts on chunks of `size` entries, `concurrency` chunks at a time; one result per entry. */
  const runChunked = async (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions | undefined, size: number, act: (chunk: readonly KeyEntry[]) => Promise<ObjectResult[]>): Promise<SinkOutcome[]> => {
    if (batch.length === 0) return []
    await prepare(batch, applyOptions)
    const outcomes: SinkOutcome[] = new Array(batch.length)
    const starts = Array.from({ length: Math.ceil(batch.length / size) }, (_, i) => i * size)
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < starts.length) {
        const start = starts[next++] as number
        const chunk = batch.slice(start, start + size)
        let results: ObjectResult[]
        if (applyOptions?.signal?.aborted === true) {
          results = chunk.map(() => fail({ status: 0, reason: 'aborted', message: 'aborted before it was acted on', retryable: true }))
        } else {
          try {
            results = await act(chunk)
          } catch (error) {
            const failure = failureOf(error)
            results = chunk.map(() => fail(failure))
          }
        }
        chunk.forEach((entry, i) => { outcomes[start + i] = outcome(entry.key, results[i] ?? fail({ status: 0, reason: 'noResult', message: 'no result', retryable: true })) })
      }
    }
    await Promise.all(Array.from({ length: Math.min(concurrency, starts.length) }, worker))
    return outcomes
  }

  const run = async (batch: readonly KeyEntry[], applyOptions: SinkApplyOptions | undefined, act: (entry: KeyEntry) => Promise<ObjectResult>): Promise<SinkOutcome[]> =>
    await runChunked(batch, applyOptions, 1, async chunk => [await act(chunk[0] as KeyEntry)])

  return { name, check, client, context, maxBatch, run, runChunked }
}
