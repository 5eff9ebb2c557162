import { createServer, type Socket } from 'node:net'

export interface SilentServer {
  /** `127.0.0.1:<port>` */
  readonly address: string
  readonly port: number
  /** Connections accepted so far. */
  readonly accepted: number
  stop: () => Promise<void>
}

/**
 * A TCP listener on 127.0.0.1 that accepts every connection and never sends a byte: the
 * endpoint that made `keydiff run` hang (a stalled proxy, a server that stopped answering,
 * a firewall that lets the handshake through). Whatever a client writes is read and dropped.
 */
export async function startSilentServer (): Promise<SilentServer> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer(socket => {
    accepted++
    sockets.add(socket)
    socket.on('data', () => {})
    socket.on('error', () => {})
    socket.on('close', () => { sockets.delete(socket) })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const port = (server.address() as { port: number }).port
  return {
    address: `127.0.0.1:${port}`,
    port,
    get accepted () { return accepted },
    async stop () {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>(resolve => { server.close(() => { resolve() }) })
    }
  }
}
