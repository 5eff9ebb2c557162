import type { IncomingMessage } from 'node:http'
import { STATUS_CODES } from 'node:http'
import { errorReply, route } from './gcs-server.ts'
import type { GcsTestServer, Reply } from './gcs-server.ts'
import { parseHeaders, parseMultipart } from './multipart.ts'

const MAX_CALLS = 100

/**
 * The JSON API batch endpoint: a multipart/mixed body of `application/http` parts, each a
 * request line, headers and body; answered part for part, Content-ID `response-<id>`.
 */
export function handleBatch (server: GcsTestServer, headers: IncomingMessage['headers'], raw: Buffer): Reply {
  let parts
  try {
    parts = parseMultipart(String(headers['content-type'] ?? ''), raw)
  } catch (error) {
    return errorReply(error)
  }
  if (parts.length > MAX_CALLS) {
    return { status: 400, body: { error: { code: 400, message: `A batch may hold at most ${MAX_CALLS} calls`, errors: [{ domain: 'global', reason: 'invalid', message: 'too many calls' }] } } }
  }
  const boundary = `batch_${Date.now().toString(36)}`
  const out: string[] = []
  for (const part of parts) {
    const text = part.body.toString()
    const headEnd = text.search(/\r?\n\r?\n/)
    const head = headEnd < 0 ? text : text.slice(0, headEnd)
    const body = headEnd < 0 ? '' : text.slice(headEnd).replace(/^\r?\n\r?\n/, '')
    const [requestLine = '', ...headerLines] = head.split(/\r?\n/)
    const [method = 'GET', target = '/'] = requestLine.split(' ')
    const url = new URL(target, server.endpoint)
    let reply: Reply
    try {
      reply = route(server, method, url.pathname, url.searchParams, parseHeaders(headerLines.join('\n')), Buffer.from(body))
    } catch (error) {
      reply = errorReply(error)
    }
    const payload = reply.body === undefined ? '' : JSON.stringify(reply.body)
    const id = part.headers['content-id']?.replace(/^<(.*)>$/, '$1')
    out.push(
      `--${boundary}\r\nContent-Type: application/http\r\n${id === undefined ? '' : `Content-ID: <response-${id}>\r\n`}\r\n` +
      `HTTP/1.1 ${reply.status} ${STATUS_CODES[reply.status] ?? ''}\r\nContent-Type: application/json; charset=UTF-8\r\nContent-Length: ${Buffer.byteLength(payload)}\r\n\r\n${payload}\r\n`
    )
  }
  out.push(`--${boundary}--\r\n`)
  return { status: 200, body: Buffer.from(out.join('')), headers: { 'content-type': `multipart/mixed; boundary=${boundary}` } }
}
