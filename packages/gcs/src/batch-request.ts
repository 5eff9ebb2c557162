import { randomUUID } from 'node:crypto'
import type { Storage } from '@google-cloud/storage'
import { request } from 'undici'
import type { GcsFailure } from './request.ts'

/** One call inside a JSON API batch: a method and a path with its query, already encoded. */
export interface BatchCall {
  method: 'DELETE' | 'PATCH' | 'GET'
  path: string
}

/** The JSON API takes at most 100 calls per batch request. */
export const MAX_BATCH_CALLS = 100

/** Where the client sends requests, and whether it authenticates them (not against an emulator). */
function target (storage: Storage): { url: string, authenticate: boolean } {
  return {
    url: `${storage.apiEndpoint}/batch/storage/v1`,
    authenticate: !storage.customEndpoint || storage.useAuthWithCustomEndpoint === true
  }
}

async function authHeaders (storage: Storage, url: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  const given = await storage.authClient.getRequestHeaders(url)
  new Headers(given as ConstructorParameters<typeof Headers>[0]).forEach((value, name) => { out[name] = value })
  return out
}

function statusFailure (status: number, text: string): GcsFailure {
  let reason = `http${status}`
  let message = text.slice(0, 300)
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string, errors?: Array<{ reason?: string }> } }
    reason = parsed.error?.errors?.[0]?.reason ?? reason
    message = parsed.error?.message ?? message
  } catch {}
  return { status, reason, message, retryable: status === 408 || status === 429 || status >= 500 }
}

/** Splits a multipart/mixed batch response into `response-N` → status and body. */
function parseResponse (contentType: string, raw: string): Map<number, { status: number, body: string }> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1]
  if (boundary === undefined) throw new Error(`a batch response without a multipart boundary (${contentType})`)
  const out = new Map<number, { status: number, body: string }>()
  for (const part of raw.split(`--${boundary}`)) {
    const id = /Content-ID:\s*<response-(\d+)>/i.exec(part)?.[1]
    const statusLine = /HTTP\/1\.1 (\d{3})/.exec(part)
    if (id === undefined || statusLine?.[1] === undefined) continue
    const afterStatus = part.slice(statusLine.index)
    const bodyStart = afterStatus.search(/\r?\n\r?\n/)
    const body = bodyStart < 0 ? '' : afterStatus.slice(bodyStart).trim()
    out.set(Number(id), { status: Number(statusLine[1]), body })
  }
  return out
}

/**
 * Sends up to 100 calls in one HTTP request to the JSON API batch endpoint and returns, per
 * call, undefined on success or the failure. A call with no answer in the response fails
 * as retryable; a failed batch request throws.
 */
export async function sendBatch (storage: Storage, calls: readonly BatchCall[], signal?: AbortSignal): Promise<Array<GcsFailure | undefined>> {
  if (calls.length > MAX_BATCH_CALLS) throw new RangeError(`a batch holds at most ${MAX_BATCH_CALLS} calls`)
  const { url, authenticate } = target(storage)
  const boundary = `keydiff_${randomUUID()}`
  let body = ''
  calls.forEach((item, i) => {
    body += `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <${i + 1}>\r\n\r\n${item.method} ${item.path} HTTP/1.1\r\n\r\n`
  })
  body += `--${boundary}--\r\n`
  const headers: Record<string, string> = {
    'content-type': `multipart/mixed; boundary=${boundary}`,
    ...(authenticate ? await authHeaders(storage, url) : {})
  }
  const response = await request(url, { method: 'POST', headers, body, ...(signal === undefined ? {} : { signal }) })
  const text = await response.body.text()
  if (response.statusCode !== 200) {
    const failure = statusFailure(response.statusCode, text)
    throw Object.assign(new Error(`batch request to ${url} failed: ${failure.status} ${failure.reason}: ${failure.message}`), { code: failure.status, errors: [{ reason: failure.reason }] })
  }
  const answers = parseResponse(String(response.headers['content-type'] ?? ''), text)
  return calls.map((_, i) => {
    const answer = answers.get(i + 1)
    if (answer === undefined) return { status: 0, reason: 'noAnswer', message: 'the batch response had no answer for this call', retryable: true }
    return answer.status >= 200 && answer.status < 300 ? undefined : statusFailure(answer.status, answer.body)
  })
}
