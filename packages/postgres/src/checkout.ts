import type { Pool, PoolClient } from 'pg'
import { PostgresConnectionError, postgresError } from './errors.ts'

export interface Checkout {
  client: PoolClient
  /**
   * Rejects when the session dies (terminated backend, lost socket). pg does not always fail
   * a pending cursor read then, so reads race against it.
   */
  lost: Promise<never>
  /** Back to the pool, or destroyed when the session may be in a bad state. */
  release: (destroy?: boolean) => void
}

/**
 * A client of the user's pool, with an error listener while we hold it: a terminated backend
 * makes pg emit 'error' on the client as well as failing the running query, and an unheard
 * 'error' would crash the process instead of failing the read.
 */
export async function checkout (pool: Pool, where: string, endpoint: string): Promise<Checkout> {
  let client: PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    // No session came out of the pool: whatever the reason, the server was not reached.
    const failure = postgresError(where, endpoint, error)
    throw failure.code === 'KEYDIFF_CONNECTION_FAILED' || failure.code === 'KEYDIFF_ABORTED' ? failure : new PostgresConnectionError(endpoint, (error as Error)?.message ?? String(error), { cause: error })
  }
  let fail: (error: Error) => void = () => {}
  const lost = new Promise<never>((_resolve, reject) => { fail = reject })
  lost.catch(() => {})
  const onError = (error: Error): void => { fail(error) }
  const onEnd = (): void => { fail(new Error('the connection to the server was closed')) }
  client.on('error', onError)
  client.on('end', onEnd)
  let released = false
  return {
    client,
    lost,
    release (destroy = false) {
      if (released) return
      released = true
      client.off('error', onError)
      client.off('end', onEnd)
      client.release(destroy ? new Error('keydiff: session left in an unknown state') : undefined)
    }
  }
}
