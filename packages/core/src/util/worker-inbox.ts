import type { Worker } from 'node:worker_threads'

/**
 * The messages a worker thread sent that its reader has not taken yet, taken one at a time
 * in order; once the worker fails, exits or is stopped, `take` throws that error after the
 * messages already sent. What the worker's 'error' and 'exit' mean is the caller's to name.
 */
export class WorkerInbox<M> {
  private readonly queue: M[] = []
  private wake: (() => void) | undefined
  private failure: Error | undefined

  constructor (worker: Worker, failed: (error: Error) => Error, exited: (code: number) => Error) {
    worker.on('message', (message: M) => {
      this.queue.push(message)
      this.wake?.()
    })
    worker.once('error', error => this.fail(failed(error)))
    worker.once('exit', code => this.fail(exited(code)))
  }

  async take (): Promise<M> {
    for (;;) {
      const message = this.queue.shift()
      if (message !== undefined) return message
      if (this.failure !== undefined) throw this.failure
      await new Promise<void>(resolve => { this.wake = resolve })
    }
  }

  /** Ends the inbox with `error` (the first failure stands). */
  fail (error: Error): void {
    this.failure ??= error
    this.wake?.()
  }
}
