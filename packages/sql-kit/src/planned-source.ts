import type { KeyBatch, KeySource } from '@keydiff/core'
import { LINE_CHUNKS, type LineChunk } from '@keydiff/core/adapter'

/**
 * A reference source that is made without I/O and asks the server on first use. Awaiting it
 * asks at once instead (what the query returns, its row estimate) and gives the same source
 * planned, so a caller that awaited the old async factory still fails early, and still
 * knows the estimate before reading.
 */
export type ReferencesSource = KeySource & PromiseLike<KeySource>

/** What a scan sets as it starts. */
export interface ScanState {
  readonly name: string
  scanStartedAt: Date | undefined
}

export interface PlannedSourceInit<P> {
  name: string
  sorted: boolean
  /** The caller's estimate; the plan's otherwise, once planned. */
  estimatedCount?: number | undefined
  /** Asks the server; called once, again only after a failure. */
  plan: () => Promise<P>
  estimateOf: (plan: P) => number | undefined
  batches: (plan: P, state: ScanState) => AsyncIterable<KeyBatch>
  /** The rows as byte ranges, for the engine's byte path (core's LINE_CHUNKS). */
  chunks?: ((plan: P, state: ScanState) => AsyncIterable<LineChunk>) | undefined
}

export function plannedSource<P> (init: PlannedSourceInit<P>): ReferencesSource {
  let planning: Promise<P> | undefined
  let planned: P | undefined
  const prepare = async (): Promise<P> => {
    planning ??= init.plan().then(plan => {
      planned = plan
      return plan
    }, (error: unknown) => {
      planning = undefined
      throw error
    })
    return await planning
  }
  const state: ScanState = { name: init.name, scanStartedAt: undefined }
  const chunks = init.chunks
  return awaitable(() => ({
    name: init.name,
    sorted: init.sorted,
    supports: { controlCharacters: true },
    get estimatedCount () { return init.estimatedCount ?? (planned === undefined ? undefined : init.estimateOf(planned)) },
    get scanStartedAt () { return state.scanStartedAt },
    async * [Symbol.asyncIterator] () {
      yield * init.batches(await prepare(), state)
    },
    ...(chunks === undefined
      ? {}
      : {
          [LINE_CHUNKS]: async function * () {
            yield * chunks(await prepare(), state)
          }
        })
  }), prepare)
}

/**
 * The source `make` builds, awaitable: `then` runs `prepare` and hands over a second view of
 * the same source without `then` (a promise cannot resolve to a thenable of itself).
 */
export function awaitable (make: () => KeySource, prepare: () => Promise<unknown>): ReferencesSource {
  const planned = make()
  return Object.assign(make(), {
    async then<A = KeySource, B = never> (onfulfilled?: ((value: KeySource) => A | PromiseLike<A>) | null, onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<A | B> {
      return await prepare().then(() => planned).then(onfulfilled, onrejected)
    }
  })
}
