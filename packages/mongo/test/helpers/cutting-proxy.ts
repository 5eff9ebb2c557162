import { createServer, connect, type Server, type Socket } from 'node:net'

/**
 * A TCP proxy in front of the test server that breaks every connection once the server has
 * sent `cutAfterBytes` bytes through it (a network failure in the middle of a stream), and
 * refuses new connections from then on. `cut()` breaks it at once.
 */
export interface CuttingProxy {
  readonly url: string
  cut: () => void
  close: () => Promise<void>
}

export async function startCuttingProxy (target: { host: string, port: number }, cutAfterBytes = Infinity): Promise<CuttingProxy> {
  const sockets = new Set<Socket>()
  let sent = 0
  let broken = false
  const cut = (): void => {
    broken = true
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
  const server: Server = createServer(client => {
    if (broken) {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    sockets.add(client)
    sockets.add(upstream)
    client.on('data', chunk => upstream.write(chunk))
    upstream.on('data', (chunk: Buffer) => {
      sent += chunk.length
      if (sent > cutAfterBytes) {
        cut()
        return
      }
      client.write(chunk)
    })
    const drop = (): void => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on('close', drop)
    upstream.on('close', drop)
    client.on('error', drop)
    upstream.on('error', drop)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('the proxy has no port')
  return {
    url: `mongodb://127.0.0.1:${address.port}/?directConnection=true&serverSelectionTimeoutMS=1500&connectTimeoutMS=1500&retryReads=false`,
    cut,
    close: async () => {
      cut()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** Host and port of a mongodb:// URL with one host. */
export function hostOf (url: string): { host: string, port: number } {
  const match = /^mongodb:\/\/(?:[^@/]*@)?([^:/,?]+)(?::([0-9]+))?/.exec(url)
  if (match === null) throw new Error(`cannot read a single host from ${url}`)
  return { host: match[1] as string, port: Number(match[2] ?? 27017) }
}
