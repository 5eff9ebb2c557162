import type { PoolConnection } from 'mysql2'
import { AbortError } from '@keydiff/core'

/**
 * What a query's events hand over, waiting for the consumer: the connection is paused once
 * `high` items wait and resumed once no more than `low` do, so a slow consumer holds the
 * server back instead of the client buffering the result. A failure (the query's error, the
 * session lost, the signal) is thrown to the consumer at its next read.
 */
export class PausedQueue<T> {
  private readonly items: T[] = []
  private ended = false
  private failure: { error: unknown } | undefined
  private paused = false
  private wake: (() => void) | undefined

  constructor (private readonly connection: PoolConnection, private readonly high: number, private readonly low: number) {}

  get failed (): boolean {
    return this.failure !== undefined
  }

  push (item: T): void {
    this.items.push(item)
    if (this.items.length >= this.high && !this.paused) {
      this.paused = true
      this.connection.pause()
    }
    this.notify()
  }

  readonly fail = (error: unknown): void => {
    this.failure ??= { error }
    this.notify()
  }

  end (): void {
    this.ended = true
    this.notify()
  }

  /** The items in order until the end, or the failure; `lost` and `signal` fail it too. */
  async * drain (lost: Promise<never>, signal?: AbortSignal): AsyncGenerator<T> {
    lost.catch(this.fail)
    const onAbort = (): void => { this.fail(new AbortError()) }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      for (;;) {
        if (this.failure !== undefined) throw this.failure.error
        const item = this.items.shift()
        if (item !== undefined) {
          if (this.paused && this.items.length <= this.low) {
            this.paused = false
            this.connection.resume()
          }
          yield item
          continue
        }
        if (this.ended) return
        await new Promise<void>(resolve => { this.wake = resolve })
      }
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
  }

  private notify (): void {
    const resume = this.wake
    this.wake = undefined
    resume?.()
  }
}
