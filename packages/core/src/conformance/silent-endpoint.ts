import assert from 'node:assert/strict'
import { createServer, type Socket } from 'node:net'

/** A listener started by {@link startSilentEndpoint}. */
export interface SilentEndpoint {
  /** `127.0.0.1:<port>`, as a client error should name it. */
  readonly address: string
  readonly port: number
  /** Connections accepted so far; a test compares it before and after to count a client's tries. */
  readonly accepted: number
  /** Destroys every accepted connection and closes the listener. */
  stop: () => Promise<void>
}

/**
 * A TCP listener on 127.0.0.1 that accepts every connection and never sends a byte: the
 * endpoint that made a run hang (a stalled proxy, a server that stopped answering, a firewall
 * that lets the handshake through). Whatever a client writes is read and dropped, so only the
 * client's own timeouts can end its wait. Point an adapter's client at `address` and check
 * its error with {@link assertConnectionFailed}.
 */
export async function startSilentEndpoint (): Promise<SilentEndpoint> {
  const sockets = new Set<Socket>()
  let accepted = 0
  const server = createServer(socket => {
    accepted++
    sockets.add(socket)
    socket.on('data', () => {})
    // A client that gives up resets the connection; that is the expected end, not a failure.
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

/** What {@link assertConnectionFailed} expects of the error. */
export interface ConnectionFailedExpectation {
  /** The endpoint the message must name: a substring, or a pattern it must match. */
  endpoint: string | RegExp
  /** A password or key the client was given, which the message must not contain. @default undefined (not checked) */
  secret?: string
}

/**
 * Asserts that `error` is a keydiff error with code `KEYDIFF_CONNECTION_FAILED` whose message
 * names `expected.endpoint` and does not contain `expected.secret`. Returns `true`, so it can
 * be the validator of `assert.rejects`:
 *
 * ```ts
 * await assert.rejects(source.has(['a']), error => assertConnectionFailed(error, { endpoint: silent.address, secret }))
 * ```
 *
 * It checks the shape (an Error, a `[keydiff]` message, the code), not `instanceof
 * KeydiffError`, because an adapter may be built against another copy of core than the one
 * that runs this check.
 */
export function assertConnectionFailed (error: unknown, expected: ConnectionFailedExpectation): true {
  assert.ok(error instanceof Error, `expected a keydiff error, got ${String(error)}`)
  assert.ok(error.message.startsWith('[keydiff]'), `expected a keydiff error, got ${String(error)}`)
  assert.equal((error as { code?: unknown }).code, 'KEYDIFF_CONNECTION_FAILED', error.message)
  const { endpoint, secret } = expected
  if (typeof endpoint === 'string') assert.ok(error.message.includes(endpoint), `the message should name ${endpoint}: ${error.message}`)
  else assert.match(error.message, endpoint)
  if (secret !== undefined) assert.ok(!error.message.includes(secret), `the message must not contain the secret: ${error.message}`)
  return true
}
