/** An async iterable that is already being read ahead, and a way to stop the reading. */
export interface Prefetched<T> extends AsyncIterable<T> {
  stop: () => void
}

/**
 * Starts reading `source` now, keeping up to `depth` items ahead of the consumer, so that
 * the next page is on the wire while the current one is processed. An error of the source
 * is thrown to the consumer at its place in the sequence, never lost and never early.
 */
export function prefetch<T> (source: AsyncIterable<T>, depth: number): Prefetched<T> {
  const buffer: T[] = []
  let finished = false
  let failed = false
  let failure: unknown
  let stopped = false
  let wake: (() => void) | undefined
  let space: (() => void) | undefined

  const signalWake = (): void => { const w = wake; wake = undefined; w?.() }
  const signalSpace = (): void => { const s = space; space = undefined; s?.() }

  const producer = async (): Promise<void> => {
    try {
      for await (const item of source) {
        buffer.push(item)
        signalWake()
        while (buffer.length >= depth && !stopped) await new Promise<void>(resolve => { space = resolve })
        if (stopped) break
      }
    } catch (error) {
      failed = true
      failure = error
    } finally {
      finished = true
      signalWake()
    }
  }
  void producer()

  const stop = (): void => {
    stopped = true
    signalSpace()
  }

  return {
    stop,
    async * [Symbol.asyncIterator] (): AsyncGenerator<T> {
      try {
        while (true) {
          if (buffer.length > 0) {
            const item = buffer.shift() as T
            signalSpace()
            yield item
          } else if (failed) {
            throw failure
          } else if (finished) {
            return
          } else {
            await new Promise<void>(resolve => { wake = resolve })
          }
        }
      } finally {
        stop()
      }
    }
  }
}
