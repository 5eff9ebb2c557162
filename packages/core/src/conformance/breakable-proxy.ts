import { connect, createServer, type Socket } from 'node:net'

/** A proxy started by {@link startBreakableProxy}. */
export interface BreakableProxy {
  /** `127.0.0.1`: where a client connects instead of the server. */
  readonly host: string
  readonly port: number
  /**
   * Breaks the way to the server, as a failed server or network would: every connection
   * through the proxy is dropped at once and new ones are refused.
   */
  break: () => void
  /** Breaks the proxy and closes its listener. */
  stop: () => Promise<void>
}

/**
 * A TCP proxy on 127.0.0.1 in front of a test server, for the failures a suite's fixture
 * must be able to cause (a lock fixture's `break`): a client pointed at it reaches the server
 * until `break()`, and fails at once from then on.
 */
export async function startBreakableProxy (server: { host: string, port: number }): Promise<BreakableProxy> {
  const sockets = new Set<Socket>()
  let broken = false
  const cut = (): void => {
    broken = true
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
  const listener = createServer(client => {
    if (broken) {
      client.destroy()
      return
    }
    const upstream = connect(server.port, server.host)
    sockets.add(client)
    sockets.add(upstream)
    client.pipe(upstream)
    upstream.pipe(client)
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    for (const socket of [client, upstream]) {
      socket.on('close', drop)
      socket.on('error', drop)
    }
  })
  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject)
    listener.listen(0, '127.0.0.1', resolve)
  })
  const port = (listener.address() as { port: number }).port
  return {
    host: '127.0.0.1',
    port,
    break: cut,
    async stop () {
      cut()
      await new Promise<void>(resolve => { listener.close(() => { resolve() }) })
    }
  }
}
