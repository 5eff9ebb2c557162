/** A part of a job: given a signal that fires when the consumer stops, yields its items in order. */
export type OrderedTask<T> = (signal: AbortSignal) => AsyncIterable<T>

interface Lane<T> {
  items: T[]
  done: boolean
  error: { value: unknown } | undefined
  wakeConsumer: (() => void) | undefined
  wakeProducer: (() => void) | undefined
}

/**
 * Runs up to `concurrency` tasks at once and yields their items task by task, in task order:
 * the output is what running them one after another would give. Each running task buffers
 * at most `buffer` items ahead of the consumer, so memory stays bounded. The first failure
 * fails the whole iteration; stopping early aborts the tasks still running.
 */
export async function * orderedParallel<T> (tasks: ReadonlyArray<OrderedTask<T>>, concurrency: number, buffer: number, signal?: AbortSignal): AsyncGenerator<T> {
  const controller = new AbortController()
  const onAbort = (): void => { controller.abort(signal?.reason) }
  signal?.addEventListener('abort', onAbort, { once: true })
  const lanes: Array<Lane<T>> = []
  let started = 0

  const start = (): void => {
    const task = tasks[started++] as OrderedTask<T>
    const lane: Lane<T> = { items: [], done: false, error: undefined, wakeConsumer: undefined, wakeProducer: undefined }
    lanes.push(lane)
    const wake = (): void => { const w = lane.wakeConsumer; lane.wakeConsumer = undefined; w?.() }
    void (async () => {
      try {
        for await (const item of task(controller.signal)) {
          lane.items.push(item)
          wake()
          while (lane.items.length >= buffer && !controller.signal.aborted) await new Promise<void>(resolve => { lane.wakeProducer = resolve })
          if (controller.signal.aborted) return
        }
      } catch (error) {
        lane.error = { value: error }
      } finally {
        lane.done = true
        wake()
      }
    })()
  }

  try {
    for (let index = 0; index < tasks.length; index++) {
      while (started < tasks.length && started < index + concurrency) start()
      const lane = lanes[index] as Lane<T>
      for (;;) {
        if (lane.items.length > 0) {
          const items = lane.items
          lane.items = []
          const w = lane.wakeProducer
          lane.wakeProducer = undefined
          w?.()
          yield * items
          continue
        }
        if (lane.error !== undefined) throw lane.error.value
        if (lane.done) break
        await new Promise<void>(resolve => { lane.wakeConsumer = resolve })
      }
    }
  } finally {
    signal?.removeEventListener('abort', onAbort)
    controller.abort()
    for (const lane of lanes) lane.wakeProducer?.()
  }
}
