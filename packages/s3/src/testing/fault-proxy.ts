import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the proxy saw of a request. */
export interface ProxiedRequest {
  readonly method: string
  readonly url: URL
  readonly headers: IncomingHttpHeaders
  readonly body: Buffer
}

/** A network fault: an S3 error response, a dropped connection, or a changed request and response. */
export type Fault =
  | { readonly kind: 'error', readonly status: number, readonly code: string, readonly message?: string }
  | { readonly kind: 'reset' }
  | { readonly kind: 'rewrite', readonly body: Buffer, readonly response: (body: Buffer) => Buffer, readonly headers?: (headers: IncomingHttpHeaders) => IncomingHttpHeaders }

export type FaultRule = (request: ProxiedRequest) => Fault | undefined

export interface FaultProxy {
  readonly endpoint: string
  rule: FaultRule
  close: () => Promise<void>
}

/**
 * An HTTP proxy in front of the S3 server that injects network faults: the stand-in for a
 * throttling, failing or refusing store. It never answers for the server; it only breaks or
 * alters what passes through.
 */
export async function startFaultProxy (target: string, rule: FaultRule = () => undefined): Promise<FaultProxy> {
  const upstream = new URL(target)
  const proxy: { rule: FaultRule } = { rule }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const fault = proxy.rule({ method: req.method ?? 'GET', url: new URL(req.url ?? '/', target), headers: req.headers, body })
      if (fault?.kind === 'reset') {
        req.socket.destroy()
        return
      }
      if (fault?.kind === 'error') {
        const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message ?? 'injected by the fault proxy'}</Message></Error>`
        res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) })
        res.end(xml)
        return
      }
      const sent = fault?.kind === 'rewrite' ? fault.body : body
      const headers = { ...req.headers, host: upstream.host, 'content-length': String(sent.length) }
      const forward = httpRequest({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers }, upstreamRes => {
        const parts: Buffer[] = []
        upstreamRes.on('data', (chunk: Buffer) => parts.push(chunk))
        upstreamRes.on('end', () => {
          const received = Buffer.concat(parts)
          const out = fault?.kind === 'rewrite' ? fault.response(received) : received
          const receivedHeaders = fault?.kind === 'rewrite' && fault.headers !== undefined ? fault.headers(upstreamRes.headers) : upstreamRes.headers
          // A HEAD answer has no body but says how long the object is.
          const outHeaders = req.method === 'HEAD' ? { ...receivedHeaders } : { ...receivedHeaders, 'content-length': String(out.length) }
          delete outHeaders['transfer-encoding']
          res.writeHead(upstreamRes.statusCode ?? 502, outHeaders)
          res.end(out)
        })
      })
      forward.on('error', () => { res.destroy() })
      forward.end(sent)
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get rule () { return proxy.rule },
    set rule (next: FaultRule) { proxy.rule = next },
    async close () {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    }
  }
}

/** True for a ListObjectsV2 request. */
export function isListing (request: ProxiedRequest): boolean {
  return request.method === 'GET' && request.url.searchParams.get('list-type') === '2'
}

const decodeXml = (text: string): string => text.replace(/&(lt|gt|quot|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity] as string)

/**
 * A rule that refuses, as a store's permissions would, every request that writes the given
 * keys or reads their tags (403 AccessDenied): DeleteObjects gets a per-key AccessDenied
 * error for each of them, and a CopyObject from one of them is refused. HEAD and plain
 * GET pass, so a sink can still see that the key is there: what a conformance suite's
 * `failKeys` ask of a store.
 */
export function refuseKeys (keys: readonly string[]): FaultRule {
  const refusedKeys = new Set(keys)
  const touches = (path: string): boolean => [...refusedKeys].some(key => path.endsWith(`/${key}`))
  return request => {
    if (request.method === 'POST' && request.url.searchParams.has('delete')) {
      const refused: string[] = []
      // An object may carry its VersionId or ETag after the key, and whitespace between elements.
      const kept = request.body.toString('utf8').replace(/<Object>\s*<Key>([^<]*)<\/Key>\s*(?:<[A-Za-z]+>[^<]*<\/[A-Za-z]+>\s*)*<\/Object>/g, (whole, key: string) => {
        if (!refusedKeys.has(decodeXml(key))) return whole
        refused.push(key)
        return ''
      })
      if (refused.length === 0) return undefined
      const errors = refused.map(key => `<Error><Key>${key}</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`).join('')
      return { kind: 'rewrite', body: Buffer.from(kept), response: xml => Buffer.from(xml.toString('utf8').replace('</DeleteResult>', `${errors}</DeleteResult>`)) }
    }
    const source = request.headers['x-amz-copy-source']
    if (touches(decodeURIComponent(request.url.pathname)) || (typeof source === 'string' && touches(decodeURIComponent(source)))) {
      if (request.method === 'HEAD' || (request.method === 'GET' && !request.url.searchParams.has('tagging'))) return undefined
      return { kind: 'error', status: 403, code: 'AccessDenied', message: 'Access Denied' }
    }
    return undefined
  }
}
