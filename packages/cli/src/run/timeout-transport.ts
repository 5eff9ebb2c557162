import http from 'node:http'
import https from 'node:https'

/**
 * `http.request` (or https) with a socket inactivity timeout, for clients that take a
 * transport but no timeout (the minio client): a request whose socket stays silent for
 * `timeoutMs`, connecting included, fails with ETIMEDOUT naming the host.
 */
export function timeoutTransport (secure: boolean, timeoutMs: number): Pick<typeof http, 'request'> {
  const base = secure ? https : http
  const request = (...args: Parameters<typeof http.request>): http.ClientRequest => {
    const req = (base.request as (...a: Parameters<typeof http.request>) => http.ClientRequest)(...args)
    req.setTimeout(timeoutMs, () => {
      const host = `${String(req.host)}${req.socket?.remotePort === undefined ? '' : `:${req.socket.remotePort}`}`
      req.destroy(Object.assign(new Error(`no answer from ${host} within ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
    })
    return req
  }
  return { request: request as typeof http.request }
}
